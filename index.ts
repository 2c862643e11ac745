/**
 * The lab: reads and validates config, then wires the components.
 *
 *   LabPreflight -> KindCluster | ExistingCluster -> k8s.Provider -> CiliumRelease -> LabWorkload -> LabChecks
 *
 * The module exports one function; Pulumi calls it and publishes what it returns as stack outputs.
 * Tests call it under mocks, once per config.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ALL_CHECKS } from "./checks/defs";
import { NATIVE_CIDR_UNSET } from "./checks/types";
import { CiliumRelease } from "./components/CiliumRelease";
import { ExistingCluster } from "./components/ExistingCluster";
import { KindCluster } from "./components/KindCluster";
import { LabChecks } from "./components/LabChecks";
import { LabPerformance } from "./components/LabPerformance";
import { LabPreflight } from "./components/LabPreflight";
import { LabWorkload } from "./components/LabWorkload";
import { NodeInfo, controlPlaneIp } from "./components/kindConfig";
import { indexedVersionFor, keyStatus } from "./lib/chartIndex";
import { LabConfig, PROJECT, validateConfig } from "./lib/config";
import { variantProfileDifferences, variantReleaseDescription } from "./lib/configVariant";
import { stableHash } from "./lib/hash";
import { providerHost, readDockerEndpoint } from "./lib/dockerEndpoint";
import * as semver from "./lib/semver";
import { localRunner } from "./preflight/exec";
import { preflightInput } from "./preflight/input";
import { ExistingAccess, openExistingCluster } from "./existing/access";
import { STACK_MARKER } from "./existing/refusals";
import { stackSummary } from "./runner/results";

function readRawConfig(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
  }
  return raw;
}

/** "1.18.12" → "1.18". */
function ciliumMinor(version: string): string {
  return `${semver.major(version)}.${semver.minor(version)}`;
}

/** The cluster the lab runs on: created with kind, or given (existing mode, already read). */
function cluster(
  cfg: LabConfig,
  access: ExistingAccess | undefined,
  preflight: pulumi.Resource,
  dockerHost: string | undefined,
) {
  if (access !== undefined) {
    const existing = new ExistingCluster("existing", {
      kubeconfig: access.kubeconfig,
      nodes: access.nodes,
    });
    return {
      kubeconfig: existing.kubeconfig,
      nodes: existing.nodes,
      clusterName: pulumi.output(cfg.clusterName),
      // Nothing here tells one instance of a given cluster from the next: its name is all there is.
      clusterIdentity: pulumi.output(cfg.clusterName),
    };
  }
  const kind = new KindCluster("lab", {
    clusterName: cfg.clusterName,
    nodeImage: cfg.nodeImage,
    workers: cfg.workers,
    networkName: cfg.nodeNetworkName,
    nodeSubnet: cfg.nodeNetwork,
    registryMirrors: cfg.registryMirrors,
    dependsOn: [preflight],
    dockerHost,
    // Cilium is upgraded in place only within a minor version: its upgrade guide supports one minor
    // at a time (https://docs.cilium.io/en/stable/operations/upgrade/), so a change of minor is a new
    // cluster with a fresh install rather than a helm upgrade across several minors (issue 24).
    recreateOn: cfg.installCilium ? [`cilium ${ciliumMinor(cfg.ciliumVersion)}`] : [],
  });
  return {
    kubeconfig: kind.kubeconfig,
    nodes: kind.nodes,
    clusterName: kind.clusterName,
    clusterIdentity: kind.clusterIdentity,
    kind,
  };
}

/** The `clusterProfile` output: the cluster's Cilium and, per key, how it differs from the lab profile. */
function clusterProfileOutput(profile: NonNullable<ExistingAccess["profile"]>) {
  const { found, differences } = profile;
  return {
    summary:
      differences.length === 0
        ? "matches the lab profile"
        : `differs from the lab profile: ${differences.map((d) => `${d.key} ${d.found} (lab: ${d.lab})`).join("; ")}`,
    found,
    differences,
  };
}

function main() {
  // Validated before any resource is declared: a bad value stops preview with nothing created.
  const cfg = validateConfig(readRawConfig());
  const existingMode = cfg.clusterMode === "existing";
  // Existing mode: read the cluster (read-only) and refuse what would harm it, still before any
  // resource is declared (existing/access.ts; at preview too).
  const stackMarker = `${pulumi.getProject()}/${pulumi.getStack()}`;
  const access = existingMode ? openExistingCluster(cfg, stackMarker) : undefined;
  // kind mode: the Docker CLI's endpoint, for the Docker provider (lib/dockerEndpoint.ts; the
  // preflight checks the CLI still uses it when the stack runs).
  const dockerHost = existingMode
    ? undefined
    : providerHost(readDockerEndpoint(localRunner()).endpoint, process.env);
  const preflight = new LabPreflight("preflight", {
    input: preflightInput(cfg, stackMarker, dockerHost),
  });
  const lab = cluster(cfg, access, preflight.command, dockerHost);
  // The Kubernetes objects of a kind lab go with its cluster: their own delete is skipped when the
  // cluster's Command is deleted in the same run (see CiliumRelease's deletedWith).
  const deletedWith = lab.kind ? lab.kind.cluster : undefined;

  const provider = new k8s.Provider(
    "lab",
    {
      kubeconfig: lab.kubeconfig,
      context: cfg.context,
      // The provider, and every object on it, is replaced exactly when this changes (pulumi-kubernetes
      // provider/pkg/provider/provider.go lines 486-499, DiffConfig): the cluster instance's identity,
      // so a recreated kind cluster replaces the release, the workload and the checks' inputs, while a
      // kubeconfig that is merely unknown at preview does not.
      clusterIdentifier: lab.clusterIdentity,
      // deleteUnreachable is left unset in both modes. kind: destroy needs none (the release and the
      // workload are deletedWith the cluster), and with it a `pulumi refresh` while Docker is stopped
      // drops them from the state (pulumi-kubernetes provider/pkg/provider/provider.go lines 1918-1926
      // at 94977969d641, Read), so the next up meets the live release ("cannot re-use a name").
      // Unset, PULUMI_K8S_DELETE_UNREACHABLE stays the explicit recovery (provider.go lines 619-632).
    },
    { dependsOn: [preflight.command] },
  );

  const cilium = cfg.installCilium
    ? new CiliumRelease("cilium", {
        version: cfg.ciliumVersion,
        chartRepo: cfg.ciliumChartRepo,
        localChart: cfg.ciliumChart,
        provider,
        deletedWith,
        // Existing mode: destroy leaves Cilium running unless uninstalling it was chosen.
        retainOnDelete: existingMode && !cfg.uninstallCiliumOnDestroy,
        // A declared datapath variant (the A/B's second lab) says so on the release.
        description: variantReleaseDescription(cfg.datapathVariant),
        settings: {
          clusterName: cfg.clusterName,
          // kind: known only once the nodes exist. Existing: the kubeconfig's server, known at preview.
          k8sServiceHost:
            access?.k8sService.host ?? lab.nodes.apply((nodes: NodeInfo[]) => controlPlaneIp(nodes)),
          k8sServicePort: access?.k8sService.port ?? 6443,
          nativeRoutingCidr: cfg.nativeRoutingCidr,
          podCidr: cfg.podCidr,
          podCidrMaskSize: cfg.podCidrMaskSize,
          ...(existingMode
            ? {
                podAnnotations: { [STACK_MARKER]: stackMarker },
                // Where the chart has the key (config refuses uninstallCiliumOnDestroy where it has not).
                ...(keyStatus(indexedVersionFor(cfg.ciliumVersion), "cni.uninstall") === "present"
                  ? { cniUninstall: cfg.uninstallCiliumOnDestroy }
                  : {}),
              }
            : {}),
          // The measurement profile changes the datapath only when performance is measured.
          datapathProfile: cfg.runPerformance ? cfg.perfProfile : "lab",
          ...(cfg.datapathVariant === "legacy-host-routing" ? { hostLegacyRouting: true } : {}),
        },
      })
    : undefined;

  const workload = new LabWorkload("workload", {
    provider,
    dependsOn: cilium ? [cilium.release] : [],
    namespace: cfg.namespace,
    createNamespace: cfg.namespace !== "default",
    appLabel: cfg.appLabel,
    image: cfg.testImage,
    nodePort: cfg.nodePort,
    deletedWith,
    nodeProbe: cfg.nodeProbe,
    admissionCheck: existingMode
      ? {
          kubeconfigPath: cfg.kubeconfigPath,
          kubeconfig: cfg.kubeconfigPath === undefined ? lab.kubeconfig : undefined,
          context: cfg.context,
        }
      : undefined,
  });

  // What the verdicts describe: re-run the checks and the measurement when any of it changes.
  const rerunOn: pulumi.Input<string>[] = [
    lab.clusterIdentity,
    cilium ? `cilium ${cfg.ciliumVersion}` : "cilium not installed by the stack",
    cilium ? cilium.values.apply((v) => `values ${stableHash(v)}`) : "no values",
  ];

  // existing mode with the kubeconfig as a secret value: runners get it in their environment.
  const secretKubeconfig =
    cfg.clusterMode === "existing" && cfg.kubeconfig !== undefined ? lab.kubeconfig : undefined;
  const checks = cfg.runChecks
    ? new LabChecks("checks", {
        checks: ALL_CHECKS.map((c) => c.name),
        kindCluster: lab.kind ? lab.clusterName : undefined,
        kubeconfigPath: cfg.kubeconfigPath,
        kubeconfig: secretKubeconfig,
        context: cfg.context,
        // Existing clusters name their node device differently: each node's agent says which it uses.
        nodeDevice: cfg.nodeDevice ?? "auto",
        namespace: cfg.namespace,
        appLabel: cfg.appLabel,
        // installCilium false: judged against the cluster's own Cilium (its cilium-config), not the lab's;
        // a cilium-config without ipv4-native-routing-cidr is "unset", never the lab's default.
        nativeCidr:
          access?.profile !== undefined
            ? (access.profile.found.nativeRoutingCidr ?? NATIVE_CIDR_UNSET)
            : cfg.nativeRoutingCidr,
        ciliumNamespace: access?.profile?.found.namespace,
        ipamMode: access?.profile?.found.ipamMode,
        // The cluster's own Cilium (installCilium false), or the stack's declared variant.
        profileDifferences:
          access?.profile !== undefined
            ? JSON.stringify(access.profile.differences)
            : variantProfileDifferences(cfg.datapathVariant),
        stepTimeoutSeconds: cfg.checkTimeoutSeconds,
        // nodeProbe run: the runner creates the node probe for its run and deletes it after.
        nodeProbe: cfg.nodeProbe === "keep" ? "present" : cfg.nodeProbe,
        nodeProbeImage: cfg.nodeProbe === "run" ? cfg.testImage : undefined,
        runId: cfg.checksRunId,
        rerunOn,
        failOnFailure: cfg.failOnCheckFailure,
        dependsOn: [workload, ...(cilium ? [cilium] : [])],
      })
    : undefined;

  const perf = cfg.runPerformance
    ? new LabPerformance("perf", {
        settings: {
          durationSeconds: cfg.perfDurationSeconds,
          streams: cfg.perfStreams,
          pingSamples: cfg.perfPingSamples,
          repeats: cfg.perfRepeats,
        },
        // Known only when the stack installed Cilium with that profile.
        datapathProfile: cilium ? cfg.perfProfile : "unknown",
        namespace: cfg.namespace,
        appLabel: cfg.appLabel,
        kindCluster: lab.kind ? lab.clusterName : undefined,
        kubeconfigPath: cfg.kubeconfigPath,
        kubeconfig: secretKubeconfig,
        context: cfg.context,
        // nodeProbe run: the measurement creates its own node probe (node-to-node) and deletes it after.
        nodeProbe: cfg.nodeProbe === "keep" ? "present" : cfg.nodeProbe,
        nodeProbeImage: cfg.nodeProbe === "run" ? cfg.testImage : undefined,
        runId: cfg.checksRunId,
        rerunOn,
        // After the checks (their captures would disturb it, and it would disturb them).
        dependsOn: [workload, ...(checks ? [checks] : [])],
      })
    : undefined;

  return {
    // One line first: how the lab stands at a glance (`pulumi stack output summary`).
    summary: checks
      ? pulumi.all([checks.checks, checks.datapath]).apply(([c, d]) => stackSummary(c.results, d))
      : "checks not run (runChecks: false)",
    clusterName: lab.clusterName,
    clusterMode: cfg.clusterMode,
    // Existing mode: the kubeconfig of someone's real cluster is never published (it stays, reduced to
    // one context and secret, in the provider's and the commands' inputs only).
    kubeconfig: existingMode ? "not published in existing mode" : lab.kubeconfig,
    nodes: lab.nodes,
    // installCilium false: what the cluster's Cilium is configured with, and where it differs from the lab.
    ...(access?.profile !== undefined ? { clusterProfile: clusterProfileOutput(access.profile) } : {}),
    ciliumVersion: cilium ? cilium.version : "not installed by the stack (installCilium: false)",
    ciliumValues: cilium ? cilium.values : {},
    workload: {
      namespace: workload.namespace,
      daemonSet: workload.daemonSet.metadata.name,
      service: workload.service.metadata.name,
      client: workload.client.metadata.name,
      nodeProbe:
        workload.nodeProbe?.metadata.name ??
        (cfg.nodeProbe === "run"
          ? "created by each check run on the nodes it samples, deleted when the run ends (nodeProbe: run)"
          : "not deployed (nodeProbe: off)"),
    },
    nodePort: workload.nodePort,
    checks: checks ? checks.checks : { summary: "checks not run (runChecks: false)", results: [] },
    datapath: checks ? checks.datapath : {},
    performance: perf ? perf.performance : { summary: "not measured (runPerformance: false)", pairs: [] },
  };
}

export = main;
