/**
 * The options of the Docker network the stack creates for the kind nodes, the way kind builds its own
 * `kind` network (kind pkg/cluster/internal/providers/docker/network.go lines 149-176): IP masquerade
 * on, and the MTU of Docker's default `bridge` network when that one has an MTU option; none
 * otherwise (Docker's default then applies, as with kind).
 */
export const MTU_OPTION = "com.docker.network.driver.mtu";
export const MASQUERADE_OPTION = "com.docker.network.bridge.enable_ip_masquerade";

/** The kind network's options from the `bridge` network's options (`docker network inspect bridge`). */
export function kindNetworkOptions(
  bridgeOptions: Readonly<Record<string, string>> | undefined,
): Record<string, string> {
  const options: Record<string, string> = { [MASQUERADE_OPTION]: "true" };
  const raw = bridgeOptions?.[MTU_OPTION];
  // kind: strconv.Atoi of the option, used only when > 0 (network.go lines 153-155 and 170-175).
  if (raw !== undefined && /^[0-9]+$/.test(raw.trim()) && Number(raw.trim()) > 0) {
    options[MTU_OPTION] = String(Number(raw.trim()));
  }
  return options;
}

/** The label that records the options the stack chose for its network (the daemon may add more). */
export const NETWORK_OPTIONS_LABEL = "cilium-ebpf-lab.network-options";

/** The options as one label value: JSON with sorted keys, so equal options give equal labels. */
export function optionsLabel(options: Readonly<Record<string, string>>): string {
  return JSON.stringify(Object.fromEntries(Object.entries(options).sort(([a], [b]) => a.localeCompare(b))));
}
