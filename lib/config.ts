/**
 * The lab's configuration: every key, its default, and its validation, in one place.
 *
 * `validateConfig` takes the raw strings Pulumi config holds and returns a typed {@link LabConfig}
 * with defaults applied once, or throws a {@link ConfigError} listing every bad key with its value
 * and what is allowed. `index.ts` calls it before declaring any resource, so a bad value stops
 * `pulumi preview` with nothing created.
 */
import { CONFIG_KEYS } from "./configKeys";
import { validateChartKeys } from "./configChart";
import { validateClusterKeys } from "./configCluster";
import { validateModeKeys } from "./configMode";
import { validatePerformanceKeys } from "./configPerformance";
import { configReader, type Raw } from "./configReader";
import { ConfigError, type ClusterMode, type LabConfig } from "./configTypes";
import { validateVariantKey } from "./configVariant";
import { validateWorkloadKeys } from "./configWorkload";

export { cidrContains, cidrsOverlap, parseIPv4Cidr } from "./cidr";
export { CONFIG_KEYS, DEFAULT_TEST_IMAGE, type KeySpec } from "./configKeys";
export { ConfigError, PROJECT, type ClusterMode, type ConfigProblem, type LabConfig } from "./configTypes";

/**
 * Validates raw config strings (as `pulumi.Config.get` returns them) and applies defaults once.
 * Unknown keys under the project namespace are rejected too, since a typo would otherwise be ignored.
 * The sections run in this order, so problems are listed in it: cluster (lib/configCluster.ts),
 * chart source (lib/configChart.ts),
 * workload and checks (lib/configWorkload.ts), cluster mode (lib/configMode.ts), performance
 * (lib/configPerformance.ts).
 */
export function validateConfig(raw: Raw): LabConfig {
  const r = configReader(raw);
  for (const key of Object.keys(raw)) {
    if (!Object.hasOwn(CONFIG_KEYS, key) && raw[key] !== undefined) {
      r.bad(key, raw[key] ?? "", `unknown key; known keys: ${Object.keys(CONFIG_KEYS).join(", ")}`);
    }
  }

  const cluster = validateClusterKeys(r);
  const chart = validateChartKeys(r, cluster);
  const workload = validateWorkloadKeys(r);
  const mode = validateModeKeys(r, cluster);
  const perf = validatePerformanceKeys(r);
  const datapathVariant = validateVariantKey(r, mode.installCilium);

  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return {
    clusterName: cluster.clusterName,
    nodeImage: cluster.nodeImage,
    kubernetesVersion: cluster.kubernetesVersion,
    workers: cluster.workers,
    ciliumVersion: cluster.ciliumVersion,
    ciliumChartRepo: chart.ciliumChartRepo,
    ciliumChart: chart.ciliumChart,
    nativeRoutingCidr: cluster.nativeRoutingCidr as string,
    podCidr: cluster.podCidr as string,
    podCidrMaskSize: cluster.podCidrMaskSize,
    nodeNetwork: cluster.nodeNetwork as string,
    nodeNetworkName: cluster.nodeNetworkName,
    registryMirrors: cluster.registryMirrors,
    testImage: workload.testImage,
    nodePort: workload.nodePort,
    namespace: workload.namespace,
    appLabel: workload.appLabel,
    runChecks: workload.runChecks,
    failOnCheckFailure: workload.failOnCheckFailure,
    checkTimeoutSeconds: workload.checkTimeoutSeconds,
    checksRunId: workload.checksRunId,
    clusterMode: mode.clusterMode as ClusterMode,
    kubeconfigPath: mode.kubeconfigPath,
    kubeconfig: mode.kubeconfig,
    context: mode.context,
    installCilium: mode.installCilium,
    k8sServiceHost: mode.k8sServiceHost,
    k8sServicePort: mode.k8sServicePort,
    uninstallCiliumOnDestroy: mode.uninstallCiliumOnDestroy,
    nodeProbe: mode.nodeProbe,
    nodeDevice: mode.nodeDevice,
    runPerformance: perf.runPerformance,
    perfProfile: perf.perfProfile as LabConfig["perfProfile"],
    perfRepeats: perf.perfRepeats,
    perfDurationSeconds: perf.perfDurationSeconds,
    perfStreams: perf.perfStreams,
    perfPingSamples: perf.perfPingSamples,
    datapathVariant,
  };
}
