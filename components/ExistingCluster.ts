import * as pulumi from "@pulumi/pulumi";
import type { NodeInfo } from "./kindConfig";

/** Arguments of {@link ExistingCluster}: what the program read before declaring anything. */
export interface ExistingClusterArgs {
  /**
   * The kubeconfig reduced to the chosen context (`kubectl config view --minify --flatten`,
   * existing/kubeconfig.ts): no other context or credential of the user's file reaches the state.
   */
  readonly kubeconfig: string;
  /** The nodes, from the preflight's `kubectl get nodes -o json` (existing/clusterRead.ts). */
  readonly nodes: readonly NodeInfo[];
}

/**
 * A cluster this stack does not create (existing mode): its minified kubeconfig as a secret and its
 * node inventory. Both were read while the program ran (at preview too), before any resource was
 * declared, so the nodes are known at preview. Nothing is created or deleted on the cluster by this
 * component.
 */
export class ExistingCluster extends pulumi.ComponentResource {
  /** The minified kubeconfig (secret). Not a stack output in existing mode. */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly nodes: pulumi.Output<NodeInfo[]>;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    // Only non-secret facts are the component's inputs: a component's inputs are stored in plain text.
    super("lab:index:ExistingCluster", name, { nodes: args.nodes }, opts);
    this.kubeconfig = pulumi.secret(args.kubeconfig);
    this.nodes = pulumi.output([...args.nodes]);
    this.registerOutputs({ nodes: this.nodes });
  }
}
