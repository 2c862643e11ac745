import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_CILIUM_CHART_REPO } from "../lib/configKeys";
import { CiliumSettings, ciliumValues } from "./ciliumValues";

/** Arguments of {@link CiliumRelease}. */
export interface CiliumReleaseArgs {
  /** Cilium chart version (also the agent version). */
  readonly version: string;
  /**
   * The lab's intent; the builder writes it in the keys that exist in `version`. Only the API server
   * address may be unknown at preview; everything else is plain, so policies judge it at preview.
   */
  readonly settings: CiliumSettings<pulumi.Input<string>>;
  /** Helm chart repository URL of the chart (config ciliumChartRepo). Defaults to helm.cilium.io. */
  readonly chartRepo?: string;
  /**
   * Absolute path of a local chart (.tgz or directory; config ciliumChart, whose validation ensures
   * it is the chart of `version`). When set no repository is used: the provider loads a chart that
   * exists on disk and ignores the version (pulumi/pulumi-kubernetes
   * provider/pkg/provider/helm_release.go, snapshot 94977969, lines 1586-1592, locateChart).
   */
  readonly localChart?: string;
  /** Kubernetes provider of the lab cluster. */
  readonly provider: k8s.Provider;
  /**
   * The kind cluster's create Command: when it is deleted the release goes with it, and the engine
   * skips the release's own delete (pulumi/pulumi pkg/resource/deploy/step.go lines 603-613 and 663,
   * isDeletedWith). That is what lets `pulumi destroy` pass after the cluster was deleted by hand: the
   * provider refuses to delete a helm.v3.Release on an unreachable cluster whatever deleteUnreachable
   * says (pulumi/pulumi-kubernetes provider/pkg/provider/provider.go lines 2546-2551; issue #2675).
   */
  readonly deletedWith?: pulumi.Resource;
  /** Seconds Helm waits for the agents to be ready. Defaults to 900. */
  readonly timeoutSeconds?: number;
  /**
   * Leave the release on the cluster when the stack is destroyed or the release replaced (existing
   * mode, unless uninstallCiliumOnDestroy). Pulumi's retainOnDelete: "Pulumi will not call through to
   * the resource provider's Delete method when deleting or replacing the resource during pulumi up or
   * pulumi destroy ... but will be removed from the Pulumi state"
   * (https://www.pulumi.com/docs/iac/concepts/resources/options/retainondelete/). Turning it off takes
   * effect only after an `up` has recorded the new option ("Set retainOnDelete: false and then run
   * pulumi up").
   */
  readonly retainOnDelete?: boolean;
  /**
   * Helm's release description; set only for a declared datapath variant
   * (lib/configVariant.ts variantReleaseDescription), which the policy pack reads.
   */
  readonly description?: string;
}

/**
 * Cilium installed by Helm (a real `helm install`, hooks and lookups included) with values from
 * the version-aware builder. The release waits until the agents and the operator are ready, so
 * anything that depends on it runs on a working datapath.
 */
export class CiliumRelease extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  /** The Helm values the release was installed with. */
  public readonly values: pulumi.Output<Record<string, unknown>>;
  public readonly version: pulumi.Output<string>;

  constructor(name: string, args: CiliumReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    const values = ciliumValues(args.version, args.settings);
    super("lab:index:CiliumRelease", name, { version: args.version, values }, opts);

    this.release = new k8s.helm.v3.Release(
      `${name}-release`,
      {
        // `cilium` like the seed's `helm install cilium`, so `ds/cilium` and `cilium-config` exist.
        name: "cilium",
        // A local chart keeps `version`: the policy pack reads the version from the inputs.
        ...(args.localChart !== undefined
          ? { chart: args.localChart, version: args.version }
          : {
              chart: "cilium",
              version: args.version,
              repositoryOpts: { repo: args.chartRepo ?? DEFAULT_CILIUM_CHART_REPO },
            }),
        namespace: "kube-system",
        values,
        timeout: args.timeoutSeconds ?? 900,
        skipAwait: false,
        cleanupOnFail: true,
        maxHistory: 5,
        ...(args.description !== undefined ? { description: args.description } : {}),
      },
      {
        parent: this,
        provider: args.provider,
        deletedWith: args.deletedWith,
        retainOnDelete: args.retainOnDelete ?? false,
      },
    );
    this.values = pulumi.output(values) as unknown as pulumi.Output<Record<string, unknown>>;
    this.version = this.release.version;

    this.registerOutputs({ release: this.release, values: this.values, version: this.version });
  }
}
