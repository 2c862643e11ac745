/**
 * Pod Security admission and the run's node probe (`--node-probe run`). The probe's pods are
 * privileged, on the host network, with a hostPath volume: the `baseline` and `restricted` levels both
 * forbid them. A DaemonSet is not a pod: admission only warns about its template and lets it in
 * (kubernetes/pod-security-admission at 8f84a87c, `admission/admission.go`: ValidatePodController
 * calls EvaluatePod with enforce=false, lines 393-448; the warning is "would violate PodSecurity
 * %q: %s", lines 512-521), then refuses each pod the DaemonSet controller creates ("violates
 * PodSecurity %q: %s", lines 477-485), which shows only as the DaemonSet's FailedCreate events. Before
 * issue 25 the run waited its whole Ready timeout (180 s) and said "no pod". Three signals, each
 * enough to stop at once with the fix:
 * - the namespace's `pod-security.kubernetes.io/enforce` label is `baseline` or `restricted`
 *   (read before the create; the API's own defaults, without a label, do not show here);
 * - kubectl's warning on the create ("would violate PodSecurity ..."): without a `warn` label the warn
 *   level defaults to the enforce label's when that is stricter (`api/helpers.go` lines 228-233);
 * - a FailedCreate event of the DaemonSet saying "violates PodSecurity" (a cluster-wide default
 *   enforce level without labels), read while no pod exists.
 */

/** The namespace label that sets the enforced level (`api/constants.go`, EnforceLevelLabel). */
export const ENFORCE_LABEL = "pod-security.kubernetes.io/enforce";

/** The fix, for a namespace. */
export function podSecurityFix(namespace: string): string {
  return (
    `label the namespace privileged for the probe (kubectl label --overwrite namespace ${namespace} ` +
    `${ENFORCE_LABEL}=privileged; the lab's own namespace is created so in existing mode), or run the checks ` +
    "with nodeProbe keep (a probe deployed where it is allowed) or off (node-level checks inconclusive)"
  );
}

/** The enforced level of a namespace's labels when it forbids the probe (baseline, restricted). */
export function forbiddingLevel(labels: unknown): string | undefined {
  if (typeof labels !== "object" || labels === null) return undefined;
  const level = (labels as Record<string, unknown>)[ENFORCE_LABEL];
  return level === "baseline" || level === "restricted" ? level : undefined;
}

/**
 * The first Pod Security verdict in kubectl's output (a create's warning on stderr, or events'
 * messages): `would violate PodSecurity "baseline:latest": ...` or `violates PodSecurity "...": ...`,
 * as one line, or undefined. A `privileged` level never forbids anything, so it is not matched.
 */
export function podSecurityViolation(text: string): string | undefined {
  const line = text
    .split("\n")
    .find((l) => /(?:would violate|violates) PodSecurity "(?:baseline|restricted):[^"]*"/.test(l));
  if (line === undefined) return undefined;
  const at = line.search(/(?:would violate|violates) PodSecurity/);
  const shown = line.slice(at).trim();
  return shown.length > 300 ? `${shown.slice(0, 300)}...` : shown;
}
