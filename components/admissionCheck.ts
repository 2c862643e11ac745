/**
 * Existing mode: the lab's own namespace, labelled for Pod Security Admission, and a server-side dry
 * run of the privileged pods before their DaemonSets exist.
 *
 * Why a dry run: @pulumi/kubernetes awaits a DaemonSet until kstatus calls it ready and looks at its
 * pods "only for informational purposes" (pulumi/pulumi-kubernetes#2953, "Add await logic for
 * DaemonSets"); pods that Pod Security Admission or a webhook refuses never appear (the DaemonSet
 * controller records FailedCreate events), so `up` would wait for the 10-minute default before
 * failing with no word about admission. A server-side dry run goes through the admission chain
 * without persisting anything ("see if the request would have succeeded (admission chain,
 * validation, ...)", KEP-576 Dry-run, https://www.kubernetes.dev/resources/keps/576/), so a refusal
 * comes back in seconds with the admission's own message. Pod Security enforces on pods (workload
 * objects only get warnings), so the dry run creates Pods with the DaemonSets' pod templates.
 */
import { shellAssign } from "../lib/shell";
import { PART_OF, type WorkloadInput, clientPod, nodeProbeDaemonSet, testDaemonSet } from "./workloadSpecs";

/**
 * The lab's namespace. `pod-security.kubernetes.io/enforce: privileged` lets the privileged test pods
 * (and the node probe) in where a cluster-wide default would refuse them (Pod Security Admission
 * reads the namespace labels `pod-security.kubernetes.io/<mode>`; the `privileged` level is
 * unrestricted, https://kubernetes.io/docs/concepts/security/pod-security-admission/).
 */
export function labNamespace(name: string) {
  return {
    metadata: {
      name,
      labels: {
        "app.kubernetes.io/part-of": PART_OF,
        "pod-security.kubernetes.io/enforce": "privileged",
        "pod-security.kubernetes.io/warn": "privileged",
        "pod-security.kubernetes.io/audit": "privileged",
      },
    },
  };
}

/**
 * Pods with the pod templates of the DaemonSets (and the client pod's spec, whose NET_ADMIN the
 * baseline level refuses too), for a server-side dry run.
 */
export function admissionProbePods(input: WorkloadInput, withNodeProbe: boolean) {
  const daemonSets = [testDaemonSet(input), ...(withNodeProbe ? [nodeProbeDaemonSet(input)] : [])];
  const specs: { name: string; spec: unknown }[] = [
    ...daemonSets.map((ds) => ({ name: ds.metadata.name, spec: ds.spec.template.spec })),
    { name: clientPod(input).metadata.name, spec: clientPod(input).spec },
  ];
  return {
    apiVersion: "v1",
    kind: "List",
    items: specs.map(({ name, spec }) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${name}-admission-check`,
        namespace: input.namespace,
        labels: { "app.kubernetes.io/part-of": PART_OF },
      },
      spec,
    })),
  };
}

/**
 * The shell script of the admission check: the manifest arrives in LAB_ADMISSION_MANIFEST (JSON), the
 * kubeconfig as a path or in LAB_KUBECONFIG (then a mode-0600 temp file the trap removes). Exits 1
 * with the admission's message and what to do when the API server refuses the pods.
 */
export function admissionCheckScript(args: {
  kubeconfigPath?: string;
  context?: string;
  namespace: string;
}): string {
  const lines = ["set -eu"];
  if (args.kubeconfigPath !== undefined) {
    lines.push(shellAssign("kc", args.kubeconfigPath));
  } else {
    lines.push(
      "umask 077",
      "kc=$(mktemp)",
      "trap 'rm -f \"$kc\"' EXIT",
      'printf \'%s\\n\' "$LAB_KUBECONFIG" >"$kc"',
    );
  }
  lines.push(shellAssign("ns", args.namespace));
  const ctx = args.context !== undefined ? ' --context "$ctx"' : "";
  if (args.context !== undefined) lines.push(shellAssign("ctx", args.context));
  lines.push(
    `if ! out=$(printf '%s' "$LAB_ADMISSION_MANIFEST" | timeout 60 kubectl --kubeconfig "$kc"${ctx} --request-timeout=30s create --dry-run=server -o name -f - 2>&1); then`,
    '  printf \'the cluster refuses the lab\'"\'"\'s privileged pods in namespace %s (server-side dry run, nothing was created):\\n%s\\n\' "$ns" "$out" >&2',
    "  printf 'Allow privileged pods in that namespace (Pod Security label pod-security.kubernetes.io/enforce=privileged, or an exception in your policy engine), or use another cluster.\\n' >&2",
    "  exit 1",
    "fi",
    "printf '%s\\n' \"$out\"",
  );
  return lines.join("\n") + "\n";
}
