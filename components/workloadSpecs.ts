/**
 * Pure manifests of the lab workload: the seed's test DaemonSet and NodePort Service, the client
 * pod `net`; the node-probe DaemonSet is lib/nodeProbeSpec.ts (re-exported here). {@link LabWorkload}
 * declares them; tests and the policy pack read them directly.
 */
import { PART_OF } from "../lib/nodeProbeSpec";

// The node probe's spec is shared with the check runner, which creates it for a run (nodeProbe: run).
export { NODE_PROBE_NAME, NODE_ROOT_MOUNT, PART_OF, nodeProbeDaemonSet } from "../lib/nodeProbeSpec";

/** What the manifests are built from. */
export interface WorkloadInput {
  readonly namespace: string;
  /** Value of the `app` label of the test DaemonSet (and its name), `evescn` in the seed. */
  readonly appLabel: string;
  readonly image: string;
  readonly nodePort: number;
  /** Service port, 8080 in the seed. */
  readonly servicePort?: number;
  /** Client pod name, `net` in the seed. */
  readonly clientName?: string;
  /** Service name, `serversvc` in the seed. */
  readonly serviceName?: string;
}

/**
 * The control-plane taint is `node-role.kubernetes.io/master` below Kubernetes 1.24, both keys on
 * 1.24 and `.../control-plane` from 1.25: tolerating both keeps the test pods on every node of any
 * version without removing the taint as the seed does.
 */
export const CONTROL_PLANE_TOLERATIONS = [
  { key: "node-role.kubernetes.io/master", operator: "Exists", effect: "NoSchedule" },
  { key: "node-role.kubernetes.io/control-plane", operator: "Exists", effect: "NoSchedule" },
];

/**
 * The HTTP server of the test pods: answers `PodName: <pod> | PodIP: eth0 <ip>/32` like the seed's
 * nettool image. python3 is in the default image; busybox httpd and socat are fallbacks for others.
 */
export const SERVER_SCRIPT = [
  "set -eu",
  "mkdir -p /srv/www",
  "ip=$(ip -o -4 addr show dev eth0 | awk '{print $4}' | head -n 1)",
  'printf \'PodName: %s | PodIP: eth0 %s\\n\' "$POD_NAME" "$ip" >/srv/www/index.html',
  "if command -v python3 >/dev/null 2>&1; then",
  "  exec python3 -m http.server 80 --bind 0.0.0.0 --directory /srv/www",
  "elif command -v httpd >/dev/null 2>&1; then",
  "  exec httpd -f -p 80 -h /srv/www",
  "else",
  "  exec socat TCP-LISTEN:80,fork,reuseaddr SYSTEM:'printf \"HTTP/1.0 200 OK\\r\\n\\r\\n\"; cat /srv/www/index.html'",
  "fi",
  "",
].join("\n");

const labels = (input: WorkloadInput, component: string) => ({
  app: input.appLabel,
  "app.kubernetes.io/part-of": PART_OF,
  "app.kubernetes.io/component": component,
});

/** The seed's DaemonSet: privileged test pods on every node, HTTP on :80 naming the pod. */
export function testDaemonSet(input: WorkloadInput) {
  const podLabels = labels(input, "test-server");
  return {
    metadata: { name: input.appLabel, namespace: input.namespace, labels: podLabels },
    spec: {
      selector: { matchLabels: { app: input.appLabel } },
      template: {
        metadata: { labels: podLabels },
        spec: {
          tolerations: CONTROL_PLANE_TOLERATIONS,
          terminationGracePeriodSeconds: 2,
          containers: [
            {
              name: "nettoolbox",
              image: input.image,
              command: ["/bin/sh", "-c", SERVER_SCRIPT],
              env: [{ name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
              ports: [{ name: "http", containerPort: 80, protocol: "TCP" }],
              readinessProbe: { httpGet: { path: "/", port: 80 }, periodSeconds: 2, failureThreshold: 3 },
              securityContext: { privileged: true },
            },
          ],
        },
      },
    },
  };
}

/** The seed's NodePort Service `serversvc`: 8080 → 80 on the test pods, nodePort from config. */
export function nodePortService(input: WorkloadInput) {
  return {
    metadata: {
      name: input.serviceName ?? "serversvc",
      namespace: input.namespace,
      labels: { "app.kubernetes.io/part-of": PART_OF },
    },
    spec: {
      type: "NodePort",
      selector: { app: input.appLabel },
      ports: [
        {
          name: "cni",
          protocol: "TCP",
          port: input.servicePort ?? 8080,
          targetPort: 80,
          nodePort: input.nodePort,
        },
      ],
    },
  };
}

/** The client pod `net` (the seed's `kubectl run net`), kept running for `kubectl exec`. */
export function clientPod(input: WorkloadInput) {
  return {
    metadata: {
      name: input.clientName ?? "net",
      namespace: input.namespace,
      labels: {
        run: input.clientName ?? "net",
        "app.kubernetes.io/part-of": PART_OF,
        "app.kubernetes.io/component": "client",
      },
    },
    spec: {
      terminationGracePeriodSeconds: 2,
      containers: [
        {
          name: "net",
          image: input.image,
          command: ["sleep", "infinity"],
          // ping needs NET_RAW, tcpdump NET_ADMIN as well; nothing else is granted.
          securityContext: { capabilities: { add: ["NET_RAW", "NET_ADMIN"] } },
        },
      ],
    },
  };
}
