/**
 * Reads a device name from `ip -o route get <ip>` (or `ip -o route show default`) output: the
 * fallback of runner/nodeDevices.ts for a node whose Cilium agent shows no direct-routing device.
 */

/** `10.0.0.2 via 10.0.0.1 dev ens5 src 10.0.0.3 uid 0` → `ens5`. */
export function deviceOfRouteGet(raw: string): string | undefined {
  const m = /\bdev\s+([A-Za-z0-9_.@-]{1,15})\b/.exec(raw);
  return m ? m[1] : undefined;
}
