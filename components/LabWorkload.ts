import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
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
  public readonly nodeProbe: k8s.apps.v1.DaemonSet;
  public readonly namespace: pulumi.Output<string>;
  public readonly nodePort: pulumi.Output<number>;

  constructor(name: string, args: LabWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    const { provider, dependsOn, deletedWith, ...input } = args;
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
        { metadata: { name: input.namespace } },
        childOpts,
      );
      nsDeps = [ns];
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
    this.nodeProbe = new k8s.apps.v1.DaemonSet(`${name}-node-probe`, nodeProbeDaemonSet(input), opts2);
    this.namespace = pulumi.output(input.namespace);
    this.nodePort = pulumi.output(input.nodePort);

    this.registerOutputs({
      daemonSet: this.daemonSet,
      service: this.service,
      client: this.client,
      nodeProbe: this.nodeProbe,
      namespace: this.namespace,
      nodePort: this.nodePort,
    });
  }
}
