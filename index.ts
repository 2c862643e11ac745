/**
 * The lab: reads and validates config, then wires the components.
 *
 *   KindCluster -> k8s.Provider -> CiliumRelease -> LabWorkload -> LabChecks
 *
 * The module exports one function; Pulumi calls it and publishes what it returns as stack outputs.
 * Tests call it under mocks, once per config.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { CiliumRelease } from "./components/CiliumRelease";
import { KindCluster } from "./components/KindCluster";
import { LabWorkload } from "./components/LabWorkload";
import { controlPlaneIp } from "./components/kindConfig";
import { PROJECT, validateConfig } from "./lib/config";

/** The project's config keys as raw strings, without the `cilium-ebpf-lab:` prefix. */
function readRawConfig(): Record<string, string> {
  const raw: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(`${PROJECT}:`)) raw[key.slice(PROJECT.length + 1)] = value;
  }
  return raw;
}

function main() {
  // Validated before any resource is declared: a bad value stops preview with nothing created.
  const cfg = validateConfig(readRawConfig());

  const kind = new KindCluster("lab", {
    clusterName: cfg.clusterName,
    nodeImage: cfg.nodeImage,
    workers: cfg.workers,
    networkName: cfg.nodeNetworkName,
    nodeSubnet: cfg.nodeNetwork,
    registryMirrors: cfg.registryMirrors,
  });

  const provider = new k8s.Provider("lab", {
    kubeconfig: kind.kubeconfig,
    // Without it a kubeconfig unknown at preview plans a provider replacement (and of everything on it).
    clusterIdentifier: cfg.clusterName,
    // After the kind cluster is gone (destroy, or deleted by hand) its objects are dropped from state.
    deleteUnreachable: true,
  });

  const cilium = new CiliumRelease("cilium", {
    version: cfg.ciliumVersion,
    provider,
    settings: kind.nodes.apply((nodes) => ({
      clusterName: cfg.clusterName,
      k8sServiceHost: controlPlaneIp(nodes),
      k8sServicePort: 6443,
      nativeRoutingCidr: cfg.nativeRoutingCidr,
      podCidr: cfg.podCidr,
      podCidrMaskSize: cfg.podCidrMaskSize,
    })),
  });

  const workload = new LabWorkload("workload", {
    provider,
    dependsOn: [cilium.release],
    namespace: cfg.namespace,
    createNamespace: cfg.namespace !== "default",
    appLabel: cfg.appLabel,
    image: cfg.testImage,
    nodePort: cfg.nodePort,
  });

  return {
    clusterName: kind.clusterName,
    kubeconfig: kind.kubeconfig,
    nodes: kind.nodes,
    ciliumVersion: cilium.version,
    ciliumValues: cilium.values,
    workload: {
      namespace: workload.namespace,
      daemonSet: workload.daemonSet.metadata.name,
      service: workload.service.metadata.name,
      client: workload.client.metadata.name,
      nodeProbe: workload.nodeProbe.metadata.name,
    },
    nodePort: workload.nodePort,
  };
}

export = main;
