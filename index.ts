/**
 * The lab: reads and validates config, then wires the components.
 *
 *   KindCluster | ExistingCluster -> k8s.Provider -> CiliumRelease -> LabWorkload -> LabChecks
 *
 * The module exports one function; Pulumi calls it and publishes what it returns as stack outputs.
 * Tests call it under mocks, once per config.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ALL_CHECKS } from "./checks/defs";
import { CiliumRelease } from "./components/CiliumRelease";
import { ExistingCluster } from "./components/ExistingCluster";
import { KindCluster } from "./components/KindCluster";
import { LabChecks } from "./components/LabChecks";
import { LabPerformance } from "./components/LabPerformance";
import { LabWorkload } from "./components/LabWorkload";
import { NodeInfo, controlPlaneIp } from "./components/kindConfig";
import { indexedVersionFor, keyStatus } from "./lib/chartIndex";
import { LabConfig, PROJECT, validateConfig } from "./lib/config";
import { ExistingAccess, openExistingCluster } from "./lib/existingAccess";
import { STACK_MARKER } from "./lib/preflight";

function readRawConfig(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
  }
  return raw;
}

/** The cluster the lab runs on: created with kind, or given (existing mode, already read). */
function cluster(cfg: LabConfig, access: ExistingAccess | undefined) {
  if (access !== undefined) {
    const existing = new ExistingCluster("existing", {
      kubeconfig: access.kubeconfig,
      nodes: access.nodes,
    });
    return {
      kubeconfig: existing.kubeconfig,
      nodes: existing.nodes,
      clusterName: pulumi.output(cfg.clusterName),
    };
  }
  const kind = new KindCluster("lab", {
    clusterName: cfg.clusterName,
    nodeImage: cfg.nodeImage,
    workers: cfg.workers,
    networkName: cfg.nodeNetworkName,
    nodeSubnet: cfg.nodeNetwork,
    registryMirrors: cfg.registryMirrors,
  });
  return { kubeconfig: kind.kubeconfig, nodes: kind.nodes, clusterName: kind.clusterName, kind };
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
  // resource is declared (lib/existingAccess.ts; at preview too).
  const stackMarker = `${pulumi.getProject()}/${pulumi.getStack()}`;
  const access = existingMode ? openExistingCluster(cfg, stackMarker) : undefined;
  const lab = cluster(cfg, access);

  const provider = new k8s.Provider("lab", {
    kubeconfig: lab.kubeconfig,
    context: cfg.context,
    // Without it a kubeconfig unknown at preview plans a provider replacement (and of everything on it).
    clusterIdentifier: cfg.clusterName,
    // After the kind cluster is gone (destroy, or deleted by hand) its objects are dropped from state.
    deleteUnreachable: cfg.clusterMode === "kind",
  });

  const cilium = cfg.installCilium
    ? new CiliumRelease("cilium", {
        version: cfg.ciliumVersion,
        provider,
        // Existing mode: destroy leaves Cilium running unless uninstalling it was chosen.
        retainOnDelete: existingMode && !cfg.uninstallCiliumOnDestroy,
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
    nodeProbe: cfg.nodeProbe,
    admissionCheck: existingMode
      ? {
          kubeconfigPath: cfg.kubeconfigPath,
          kubeconfig: cfg.kubeconfigPath === undefined ? lab.kubeconfig : undefined,
          context: cfg.context,
        }
      : undefined,
  });

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
        // installCilium false: judged against the cluster's own Cilium (its cilium-config), not the lab's.
        nativeCidr: access?.profile?.found.nativeRoutingCidr ?? cfg.nativeRoutingCidr,
        ciliumNamespace: access?.profile?.found.namespace,
        ipamMode: access?.profile?.found.ipamMode,
        profileDifferences:
          access?.profile !== undefined ? JSON.stringify(access.profile.differences) : undefined,
        stepTimeoutSeconds: cfg.checkTimeoutSeconds,
        runId: cfg.checksRunId,
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
        },
        namespace: cfg.namespace,
        appLabel: cfg.appLabel,
        kindCluster: lab.kind ? lab.clusterName : undefined,
        kubeconfigPath: cfg.kubeconfigPath,
        kubeconfig: secretKubeconfig,
        context: cfg.context,
        runId: cfg.checksRunId,
        // After the checks (their captures would disturb it, and it would disturb them).
        dependsOn: [workload, ...(checks ? [checks] : [])],
      })
    : undefined;

  return {
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
      nodeProbe: workload.nodeProbe?.metadata.name ?? "not deployed (nodeProbe: false)",
    },
    nodePort: workload.nodePort,
    checks: checks ? checks.checks : { summary: "checks not run (runChecks: false)", results: [] },
    datapath: checks ? checks.datapath : {},
    performance: perf ? perf.performance : { summary: "not measured (runPerformance: false)", pairs: [] },
  };
}

export = main;
