/**
 * The keys of the lab's workload and checks: the test image, the NodePort, the namespace (a lab-own
 * one in existing mode), the app label, and whether / how long / under which run id the checks run.
 */
import { DNS1123_LABEL, type ConfigReader } from "./configReader";
import type { LabConfig } from "./configTypes";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The namespace of the lab's workload in existing mode (created by the stack). */
export const EXISTING_NAMESPACE = "cilium-ebpf-lab";
/** Namespaces other workloads share: never the home of the lab's privileged pods in existing mode. */
const SHARED_NAMESPACES = new Set(["default", "kube-system", "kube-public", "kube-node-lease"]);

/** The workload and checks keys, validated: exactly their fields of {@link LabConfig}. */
export type WorkloadKeys = Pick<
  LabConfig,
  | "testImage"
  | "nodePort"
  | "namespace"
  | "appLabel"
  | "runChecks"
  | "failOnCheckFailure"
  | "checkTimeoutSeconds"
  | "checksRunId"
>;

/** Validates the workload and checks keys, recording problems in `r`. */
export function validateWorkloadKeys(r: ConfigReader): WorkloadKeys {
  const { bad, get, int, bool, image } = r;
  const testImage = image("testImage");
  const nodePort = int(
    "nodePort",
    30000,
    32767,
    "must be an integer in 30000-32767 (the kube-apiserver's default --service-node-port-range)",
  );
  // existing mode: the privileged test pods (and the node probe, when asked for) go in a namespace of
  // their own, created by the stack, never in a namespace other workloads share.
  const namespaceRaw =
    get("namespace") || (get("clusterMode") === "existing" ? EXISTING_NAMESPACE : "default");
  const namespace = DNS1123_LABEL.test(namespaceRaw) && namespaceRaw.length <= 63 ? namespaceRaw : "";
  if (namespace === "") {
    bad(
      "namespace",
      namespaceRaw,
      "must be a DNS-1123 label (lowercase a-z, 0-9, '-', starting and ending alphanumeric) of at most 63 characters",
    );
  } else if (get("clusterMode") === "existing" && SHARED_NAMESPACES.has(namespace)) {
    bad(
      "namespace",
      namespace,
      `must be a namespace of the lab's own in existing mode (it holds privileged pods and is created with Pod Security privileged); not one of ${[...SHARED_NAMESPACES].join(", ")}`,
    );
  }
  const appLabel = get("appLabel");
  if (!LABEL_VALUE.test(appLabel) || appLabel.length === 0 || appLabel.length > 63) {
    bad(
      "appLabel",
      appLabel,
      "must be a Kubernetes label value: 1-63 characters [A-Za-z0-9-_.], starting and ending alphanumeric",
    );
  }
  const runChecks = bool("runChecks");
  const failOnCheckFailure = bool("failOnCheckFailure");
  const checkTimeoutSeconds = int(
    "checkTimeoutSeconds",
    5,
    120,
    "must be an integer from 5 to 120 (seconds)",
  );
  const checksRunId = get("checksRunId");
  if (!/^[A-Za-z0-9_.:-]{1,64}$/.test(checksRunId)) {
    bad("checksRunId", checksRunId, "must be 1-64 characters of [A-Za-z0-9_.:-] (for example a date)");
  }
  return {
    testImage,
    nodePort,
    namespace,
    appLabel,
    runChecks,
    failOnCheckFailure,
    checkTimeoutSeconds,
    checksRunId,
  };
}
