import * as assert from "assert";

import { ExistingClusterError, openExistingCluster } from "../../existing/access";
import { apiServerOf, apiServerProblem, isLoopbackHost } from "../../existing/kubeconfig";
import { validateConfig } from "../../lib/config";
import { clusterShape } from "../helpers/fakeCluster";

/** A minified kubeconfig (the shape `kubectl config view --minify` prints) whose server is `server`. */
const minified = (server: string): string => `apiVersion: v1
clusters:
- cluster:
    server: ${server}
  name: c
contexts:
- context:
    cluster: c
    user: u
  name: ctx
current-context: ctx
kind: Config
users:
- name: u
  user:
    token: not-a-secret
`;

/** openExistingCluster on the seed's nodes (no kube-proxy, no CNI), the kubeconfig's server given. */
function open(server: string, extra: Record<string, string> = {}): unknown {
  const seed = clusterShape("seed");
  const cfg = validateConfig({
    clusterMode: "existing",
    kubeconfig: "unused",
    clusterName: "prod",
    ...extra,
  });
  try {
    return openExistingCluster(cfg, "cilium-ebpf-lab/dev", {
      minify: () => minified(server),
      readDocs: () => ({ daemonSets: seed.daemonSets, kubeProxyPods: seed.pods, nodes: seed.nodes }),
    });
  } catch (err) {
    return err;
  }
}

describe("the API server Cilium gets in existing mode (existing/access, existing/kubeconfig)", () => {
  it("refuses k3d's 0.0.0.0 and the unspecified ::, with the fix cilium-cli's EndpointSlice gives", () => {
    // k3d's kubeconfig server (k3d-io/k3d#499: `server: https://0.0.0.0:6444`).
    for (const server of ["https://0.0.0.0:6444", "https://[::]:6443"]) {
      const err = open(server);
      assert.ok(err instanceof ExistingClusterError, `${server}: ${String(err)}`);
      assert.match(err.message, /unspecified address/);
      assert.match(err.message, /k8sServiceHost and cilium-ebpf-lab:k8sServicePort/);
      assert.match(err.message, /kubectl get endpointslice kubernetes -n default/);
    }
  });

  it("sees ::ffff:127.0.0.1 and ::1 as loopback", () => {
    assert.strictEqual(isLoopbackHost(apiServerOf(minified("https://[::ffff:127.0.0.1]:6443")).host), true);
    assert.strictEqual(isLoopbackHost("::1"), true);
    assert.strictEqual(isLoopbackHost("::ffff:10.0.0.1"), false);
    const err = open("https://[::ffff:127.0.0.1]:6443");
    assert.ok(err instanceof ExistingClusterError, String(err));
    assert.match(err.message, /loopback address/);
  });

  it("refuses a Rancher proxy URL (a path after the host) instead of handing Cilium Rancher's front end", () => {
    const server = "https://rancher.example.com/k8s/clusters/c-m-13mz8a32";
    assert.match(
      String(apiServerProblem(apiServerOf(minified(server)))),
      /has a path \(\/k8s\/clusters\/c-m-13mz8a32\)/,
    );
    const err = open(server);
    assert.ok(err instanceof ExistingClusterError, String(err));
    assert.match(err.message, /a proxy in front of the cluster/);
  });

  it("takes a plain address as it is, and a set k8sServiceHost over any of those (not 0.0.0.0)", () => {
    const ok = open("https://172.18.0.4:6443");
    assert.ok(!(ok instanceof Error), String(ok));
    assert.deepStrictEqual((ok as { k8sService: unknown }).k8sService, { host: "172.18.0.4", port: 6443 });
    const set = open("https://0.0.0.0:6444", { k8sServiceHost: "172.18.0.4", k8sServicePort: "6443" });
    assert.ok(!(set instanceof Error), String(set));
    const unspecified = open("https://172.18.0.4:6443", {
      k8sServiceHost: "0.0.0.0",
      k8sServicePort: "6443",
    });
    assert.ok(unspecified instanceof ExistingClusterError, String(unspecified));
    assert.match(unspecified.message, /k8sServiceHost = "0.0.0.0"/);
  });
});
