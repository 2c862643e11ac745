/**
 * A `curl` for the fake environments (fake kubectl, synthetic labs), first on PATH: the check runner
 * runs nodeport-from-outside's curl on its own host (checks/types.ts RUNNER_HOST), and in these environments
 * the nodes' addresses (172.18.x.x) are not the test's to contact. It contacts nothing, says why on
 * stderr and exits 2, so the check is inconclusive there.
 */
import * as fs from "fs";
import * as path from "path";

export const OFFLINE_CURL = `#!/bin/sh
echo "offline curl of the tests: no address outside loopback is contacted (curl $*)" >&2
exit 2
`;

/** Writes {@link OFFLINE_CURL} as `dir/curl`. */
export function writeOfflineCurl(dir: string): void {
  fs.writeFileSync(path.join(dir, "curl"), OFFLINE_CURL, { mode: 0o755 });
}
