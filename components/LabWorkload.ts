import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NodeProbeMode } from "../lib/configTypes";
import { admissionCheckScript, admissionProbePods, labNamespace } from "./admissionCheck";
import {
  WorkloadInput,
  clientPod,
  nodePortService,
  nodeProbeDaemonSet,
  testDaemonSet,
} from "./workloadSpecs";

/** Arguments of {@link LabWorkload}. */
export interface LabWorkloadArgs extends WorkloadInput {
  /** Kubernetes provider of the lab cluster. */
  readonly provider: k8s.Provider;
  /** Resources that must be ready first (the Cilium release: no pod gets an address before it). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /** The resource whose deletion deletes these objects too (the kind cluster): their own delete is skipped. */
  readonly deletedWith?: pulumi.Resource;
  /** Create the namespace. Defaults to false (the seed uses `default`). */
  readonly createNamespace?: boolean;
  /**
   * The privileged host-network node probe: `keep` deploys its DaemonSet here (the default); `run`
   * leaves it to each check run (runner/runNodeProbe.ts), so only the admission dry run tests its
   * pod template; `off`: neither.
   */
  readonly nodeProbe?: NodeProbeMode;
  /**
   * Existing mode: dry-run the privileged pods on the server (after the namespace, before the
   * DaemonSets), so an admission refusal fails `up` in seconds with its message. The kubeconfig is
   * a path or a (secret) value handed to the script in its environment.
   */
  readonly admissionCheck?: {
    readonly kubeconfigPath?: string;
    readonly kubeconfig?: pulumi.Input<string>;
    readonly context?: string;
  };
}

/**
 * The seed's test workload: the test DaemonSet, the NodePort Service `serversvc` and the client pod
 * `net`, plus the node-probe DaemonSet. Pulumi awaits each to readiness (DaemonSet rollout, Pod
 * Ready, Service endpoints), so the checks start on a ready lab.
 */
export class LabWorkload extends pulumi.ComponentResource {
  public readonly daemonSet: k8s.apps.v1.DaemonSet;
  public readonly service: k8s.core.v1.Service;
  public readonly client: k8s.core.v1.Pod;
  /** The node-probe DaemonSet; undefined unless nodeProbe is keep (run: each check run creates its own). */
  public readonly nodeProbe?: k8s.apps.v1.DaemonSet;
  public readonly namespace: pulumi.Output<string>;
  public readonly nodePort: pulumi.Output<number>;

  constructor(name: string, args: LabWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    const {
      provider,
      dependsOn,
      deletedWith,
      admissionCheck,
      nodeProbe: probeMode = "keep",
      ...input
    } = args;
    super("lab:index:LabWorkload", name, input, opts);
    const childOpts: pulumi.CustomResourceOptions = {
      parent: this,
      provider,
      dependsOn,
      deletedWith,
    };

    let nsDeps: pulumi.Resource[] = [];
    if (args.createNamespace) {
      const ns = new k8s.core.v1.Namespace(
        `${name}-namespace`,
        admissionCheck !== undefined
          ? labNamespace(input.namespace)
          : { metadata: { name: input.namespace } },
        childOpts,
      );
      nsDeps = [ns];
    }
    if (admissionCheck !== undefined) {
      const check = new command.local.Command(
        `${name}-admission`,
        {
          create: admissionCheckScript({
            kubeconfigPath: admissionCheck.kubeconfigPath,
            context: admissionCheck.context,
            namespace: input.namespace,
          }),
          environment: {
            // The probe's pod template is tested whenever it will be used (keep, and run: by each run).
            LAB_ADMISSION_MANIFEST: JSON.stringify(admissionProbePods(input, probeMode !== "off")),
            ...(admissionCheck.kubeconfig !== undefined
              ? { LAB_KUBECONFIG: pulumi.secret(admissionCheck.kubeconfig) }
              : {}),
          },
          logging: "stderr",
          addPreviousOutputInEnv: false,
        },
        { parent: this, dependsOn: nsDeps, customTimeouts: { create: "2m" } },
      );
      nsDeps = [...nsDeps, check];
    }
    const opts2: pulumi.CustomResourceOptions = {
      ...childOpts,
      dependsOn: pulumi.output(dependsOn ?? []).apply((d) => [...d, ...nsDeps]),
    };

    this.daemonSet = new k8s.apps.v1.DaemonSet(`${name}-daemonset`, testDaemonSet(input), opts2);
    this.service = new k8s.core.v1.Service(`${name}-service`, nodePortService(input), {
      ...opts2,
      // The Service awaits ready endpoints: the test pods must exist first.
      dependsOn: [this.daemonSet],
    });
    this.client = new k8s.core.v1.Pod(`${name}-client`, clientPod(input), opts2);
    this.nodeProbe =
      probeMode === "keep"
        ? new k8s.apps.v1.DaemonSet(`${name}-node-probe`, nodeProbeDaemonSet(input), opts2)
        : undefined;
    this.namespace = pulumi.output(input.namespace);
    this.nodePort = pulumi.output(input.nodePort);

    this.registerOutputs({
      daemonSet: this.daemonSet,
      service: this.service,
      client: this.client,
      nodeProbe: this.nodeProbe ?? `not deployed by the stack (nodeProbe: ${probeMode})`,
      namespace: this.namespace,
      nodePort: this.nodePort,
    });
  }
}
