import * as command from "@pulumi/command";
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { shellAssign } from "../lib/shell";
import { NodeInfo, parseNodeInventory } from "./kindConfig";

/** Arguments of {@link ExistingCluster}: exactly one of kubeconfigPath and kubeconfig. */
export interface ExistingClusterArgs {
  /** What must succeed first: the preflight. */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** Absolute path of the kubeconfig file. */
  readonly kubeconfigPath?: string;
  /** The kubeconfig itself (kept secret). */
  readonly kubeconfig?: pulumi.Input<string>;
  /** Context to use. Defaults to the kubeconfig's current context. */
  readonly context?: string;
}

/**
 * `kubectl get nodes -o json` against an existing cluster. With a kubeconfig value (not a path) it
 * arrives in the environment variable LAB_KUBECONFIG and goes to a mode-0600 temp file that the
 * trap removes.
 */
export function existingInventoryScript(args: { kubeconfigPath?: string; context?: string }): string {
  const lines = ["set -eu"];
  if (args.kubeconfigPath) {
    lines.push(shellAssign("kc", args.kubeconfigPath));
  } else {
    lines.push(
      "umask 077",
      "kc=$(mktemp)",
      "trap 'rm -f \"$kc\"' EXIT",
      'printf \'%s\\n\' "$LAB_KUBECONFIG" >"$kc"',
    );
  }
  if (args.context) {
    lines.push(
      shellAssign("ctx", args.context),
      'timeout 60 kubectl --kubeconfig "$kc" --context "$ctx" get nodes -o json',
    );
  } else {
    lines.push('timeout 60 kubectl --kubeconfig "$kc" get nodes -o json');
  }
  return lines.join("\n") + "\n";
}

/**
 * A cluster this stack does not create (existing mode): its kubeconfig as a secret and its node
 * inventory read from the cluster. Nothing is created or deleted on it by this component.
 */
export class ExistingCluster extends pulumi.ComponentResource {
  /** The kubeconfig (secret). */
  public readonly kubeconfig: pulumi.Output<string>;
  public readonly nodes: pulumi.Output<NodeInfo[]>;

  constructor(name: string, args: ExistingClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super(
      "lab:index:ExistingCluster",
      name,
      { kubeconfigPath: args.kubeconfigPath, context: args.context },
      opts,
    );
    if (!args.kubeconfigPath === !args.kubeconfig) {
      throw new pulumi.ResourceError("give exactly one of kubeconfigPath and kubeconfig", this);
    }
    this.kubeconfig = pulumi.secret(
      args.kubeconfigPath
        ? fs.readFileSync(args.kubeconfigPath, "utf8")
        : (args.kubeconfig as pulumi.Input<string>),
    );
    const inventory = new command.local.Command(
      `${name}-nodes`,
      {
        create: existingInventoryScript(args),
        environment: args.kubeconfigPath ? undefined : { LAB_KUBECONFIG: this.kubeconfig },
        logging: "stderr",
        addPreviousOutputInEnv: false,
      },
      { parent: this, dependsOn: args.dependsOn ?? [], customTimeouts: { create: "3m" } },
    );
    // The node list carries no credentials: it stays readable even when the kubeconfig input is secret.
    this.nodes = pulumi.unsecret(inventory.stdout.apply(parseNodeInventory));
    this.registerOutputs({ kubeconfig: this.kubeconfig, nodes: this.nodes });
  }
}
