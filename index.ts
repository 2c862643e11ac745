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
import { LabConfig, PROJECT, validateConfig } from "./lib/config";

function readRawConfig(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
  }
  return raw;
}

/** The cluster the lab runs on: created with kind, or given (existing mode). */
function cluster(cfg: LabConfig) {
  if (cfg.clusterMode === "existing") {
    const existing = new ExistingCluster("existing", {
      kubeconfigPath: cfg.kubeconfigPath,
      kubeconfig: cfg.kubeconfig === undefined ? undefined : pulumi.secret(cfg.kubeconfig),
      context: cfg.context,
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

function main() {
  // Validated before any resource is declared: a bad value stops preview with nothing created.
  const cfg = validateConfig(readRawConfig());
  const lab = cluster(cfg);

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
        settings: {
          clusterName: cfg.clusterName,
          // Known only once the nodes exist; every other value is known at preview.
          k8sServiceHost: cfg.k8sServiceHost ?? lab.nodes.apply((nodes: NodeInfo[]) => controlPlaneIp(nodes)),
          k8sServicePort: 6443,
          nativeRoutingCidr: cfg.nativeRoutingCidr,
          podCidr: cfg.podCidr,
          podCidrMaskSize: cfg.podCidrMaskSize,
          // The measurement profile changes the datapath only when performance is measured.
          datapathProfile: cfg.runPerformance ? cfg.perfProfile : "lab",
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
        // Existing clusters name their node device differently: the runner detects it.
        nodeDevice: cfg.nodeDevice ?? "auto",
        namespace: cfg.namespace,
        appLabel: cfg.appLabel,
        nativeCidr: cfg.nativeRoutingCidr,
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
        runId: cfg.checksRunId,
        // After the checks (their captures would disturb it, and it would disturb them).
        dependsOn: [workload, ...(checks ? [checks] : [])],
      })
    : undefined;

  return {
    clusterName: lab.clusterName,
    clusterMode: cfg.clusterMode,
    kubeconfig: lab.kubeconfig,
    nodes: lab.nodes,
    ciliumVersion: cilium ? cilium.version : "not installed by the stack (installCilium: false)",
    ciliumValues: cilium ? cilium.values : {},
    workload: {
      namespace: workload.namespace,
      daemonSet: workload.daemonSet.metadata.name,
      service: workload.service.metadata.name,
      client: workload.client.metadata.name,
      nodeProbe: workload.nodeProbe.metadata.name,
    },
    nodePort: workload.nodePort,
    checks: checks ? checks.checks : { summary: "checks not run (runChecks: false)", results: [] },
    datapath: checks ? checks.datapath : {},
    performance: perf ? perf.performance : { summary: "not measured (runPerformance: false)", pairs: [] },
  };
}

export = main;
