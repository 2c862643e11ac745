/**
 * Named bad config inputs, shared by test/lib/config.spec.ts and the property tests. Kept out of the
 * spec files: a spec imported by another spec registers its tests under the importer, and mocha then
 * does not run them as its own (serial runs lost all of config.spec.ts that way).
 */
/** A bad input: the key, the value, and a fragment the message must contain. */
export interface BadInput {
  readonly name: string;
  readonly config: Record<string, string>;
  readonly key: string;
  readonly expect: RegExp;
}

/** Named bad inputs: each must stop the program with a message naming key, value and what is allowed. */
export const BAD_INPUTS: readonly BadInput[] = [
  {
    name: "malformed native CIDR",
    config: { nativeRoutingCidr: "10.0.0/8" },
    key: "nativeRoutingCidr",
    expect: /IPv4 CIDR/,
  },
  {
    name: "native CIDR with host bits",
    config: { nativeRoutingCidr: "10.1.2.3/8" },
    key: "nativeRoutingCidr",
    expect: /host bits set; did you mean 10\.0\.0\.0\/8/,
  },
  {
    name: "native CIDR prefix over 32",
    config: { nativeRoutingCidr: "10.0.0.0/33" },
    key: "nativeRoutingCidr",
    expect: /0-32/,
  },
  {
    name: "IPv6 native CIDR",
    config: { nativeRoutingCidr: "fd00::/8" },
    key: "nativeRoutingCidr",
    expect: /IPv4 CIDR/,
  },
  {
    name: "native CIDR that does not contain the pod CIDR",
    config: { nativeRoutingCidr: "10.0.0.0/16", podCidr: "10.0.0.0/8" },
    key: "nativeRoutingCidr",
    expect: /must contain podCidr 10\.0\.0\.0\/8/,
  },
  {
    name: "pod CIDR outside the native CIDR",
    config: { podCidr: "192.168.0.0/16" },
    key: "nativeRoutingCidr",
    expect: /must contain podCidr 192\.168\.0\.0\/16/,
  },
  { name: "pod CIDR without prefix", config: { podCidr: "10.0.0.0" }, key: "podCidr", expect: /IPv4 CIDR/ },
  {
    name: "mask size not longer than the pod CIDR",
    config: { podCidrMaskSize: "8" },
    key: "podCidrMaskSize",
    expect: /from 9 to 30/,
  },
  {
    name: "mask size over 30",
    config: { podCidrMaskSize: "31" },
    key: "podCidrMaskSize",
    expect: /from 9 to 30/,
  },
  {
    name: "node network overlapping the native CIDR",
    config: { nodeNetwork: "10.18.0.0/16" },
    key: "nodeNetwork",
    expect: /must not overlap nativeRoutingCidr/,
  },
  {
    name: "node network too small",
    config: { nodeNetwork: "172.18.0.0/30" },
    key: "nodeNetwork",
    expect: /\/28 or larger/,
  },
  { name: "NodePort below the range", config: { nodePort: "8080" }, key: "nodePort", expect: /30000-32767/ },
  { name: "NodePort above the range", config: { nodePort: "32768" }, key: "nodePort", expect: /30000-32767/ },
  { name: "NodePort not a number", config: { nodePort: "32k" }, key: "nodePort", expect: /30000-32767/ },
  { name: "zero workers", config: { workers: "0" }, key: "workers", expect: /from 1 to 10/ },
  { name: "negative workers", config: { workers: "-1" }, key: "workers", expect: /from 1 to 10/ },
  { name: "fractional workers", config: { workers: "1.5" }, key: "workers", expect: /from 1 to 10/ },
  {
    name: "cluster name with uppercase",
    config: { clusterName: "Lab" },
    key: "clusterName",
    expect: /DNS-1123/,
  },
  {
    name: "cluster name with underscore",
    config: { clusterName: "my_lab" },
    key: "clusterName",
    expect: /DNS-1123/,
  },
  {
    name: "cluster name ending in a dash",
    config: { clusterName: "lab-" },
    key: "clusterName",
    expect: /DNS-1123/,
  },
  {
    name: "cluster name too long for kind node hostnames",
    config: { clusterName: "a".repeat(50) },
    key: "clusterName",
    expect: /at most 49/,
  },
  {
    name: "cluster name over 32 characters with Cilium 1.18",
    config: { ciliumVersion: "1.18.12", nodeImage: "kindest/node:v1.33.1" },
    key: "clusterName",
    expect: /at most 32 characters with Cilium 1\.18\.12/,
  },
  {
    name: "Cilium version too old",
    config: { ciliumVersion: "1.12.9" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Cilium version too new",
    config: { ciliumVersion: "1.21.0" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Cilium version with a v prefix",
    config: { ciliumVersion: "v1.13.0" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Cilium version that is not semver",
    config: { ciliumVersion: "latest" },
    key: "ciliumVersion",
    expect: /Cilium release version in/,
  },
  {
    name: "Kubernetes too old for Cilium 1.16+",
    config: { ciliumVersion: "1.16.19", clusterName: "lab", nodeImage: "kindest/node:v1.20.15" },
    key: "nodeImage",
    expect: /Kubernetes >= 1\.21/,
  },
  {
    name: "node image with a command substitution",
    config: { nodeImage: "kindest/node:$(reboot)" },
    key: "nodeImage",
    expect: /image reference/,
  },
  {
    name: "node image with a semicolon",
    config: { nodeImage: "kindest/node:v1.23.4; rm -rf /" },
    key: "nodeImage",
    expect: /image reference/,
  },
  {
    name: "test image with backticks",
    config: { testImage: "`id`/netshoot" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "test image with a quote",
    config: { testImage: "nicolaka/netshoot:v0.13'" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "test image with a newline",
    config: { testImage: "nicolaka/netshoot\nv0.13" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "image digest too short",
    config: { testImage: "nicolaka/netshoot@sha256:abc" },
    key: "testImage",
    expect: /image reference/,
  },
  {
    name: "registry mirrors not JSON",
    config: { registryMirrors: "harbor.evescn.com" },
    key: "registryMirrors",
    expect: /JSON object/,
  },
  {
    name: "registry mirror endpoint with a quote",
    config: { registryMirrors: '{"harbor.evescn.com":["https://x\\" ]"]}' },
    key: "registryMirrors",
    expect: /http\(s\) URLs/,
  },
  {
    name: "registry mirror host with a space",
    config: { registryMirrors: '{"harbor evescn":["https://harbor.evescn.com"]}' },
    key: "registryMirrors",
    expect: /bad entry/,
  },
  {
    name: "namespace with uppercase",
    config: { namespace: "Default" },
    key: "namespace",
    expect: /DNS-1123/,
  },
  { name: "app label with a slash", config: { appLabel: "a/b" }, key: "appLabel", expect: /label value/ },
  {
    name: "runChecks not a boolean",
    config: { runChecks: "yes" },
    key: "runChecks",
    expect: /true or false/,
  },
  {
    name: "check timeout too long",
    config: { checkTimeoutSeconds: "600" },
    key: "checkTimeoutSeconds",
    expect: /5 to 120/,
  },
  {
    name: "checks run id with a space",
    config: { checksRunId: "a b" },
    key: "checksRunId",
    expect: /A-Za-z0-9/,
  },
  { name: "a misspelt key", config: { nodeport: "32000" }, key: "nodeport", expect: /unknown key/ },
  {
    name: "node network name with a slash",
    config: { nodeNetworkName: "kind/lab" },
    key: "nodeNetworkName",
    expect: /Docker network name/,
  },
  {
    name: "an unknown datapath variant",
    config: { datapathVariant: "legacy" },
    key: "datapathVariant",
    expect: /must be one of bpf, legacy-host-routing/,
  },
  {
    name: "a datapath variant on a Cilium the stack does not install",
    config: {
      clusterMode: "existing",
      kubeconfig: "apiVersion: v1",
      installCilium: "false",
      datapathVariant: "legacy-host-routing",
    },
    key: "datapathVariant",
    expect: /must be bpf when installCilium is false/,
  },
];
