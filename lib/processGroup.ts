/**
 * A long Command's script run in a process group of its own that is ended whole when Pulumi cancels.
 *
 * @pulumi/command runs a script as `/bin/sh -c SCRIPT` with Go's exec.CommandContext (v1.2.1
 * provider/pkg/provider/local/commandOutputs.go line 59); on Ctrl-C the engine's Cancel cancels that
 * context (pulumi-go-provider v1.3.0 middleware/cancel/cancel.go lines 41-93, which also turns
 * customTimeouts into a context deadline), and Go then kills the shell alone with SIGKILL (os/exec's
 * default Cancel, Process.Kill). A SIGKILLed shell runs no trap, and its children (kind create,
 * kubectl, the check runner) go on, orphaned.
 *
 * So the outer shell only starts the work under util-linux `setsid` (a new session and process
 * group whose id is the work's pid: a background child of a non-interactive sh leads no group, so
 * setsid does not fork) and a watcher. The watcher polls the outer shell; if that shell disappears
 * while the work still runs, it sends SIGTERM to the whole group (the work's own traps then clean
 * up, e.g. the kind create script deletes its half-made nodes), waits up to `graceSeconds` for the
 * work to end, then SIGKILLs what is left of the group. A TERM/INT/HUP to the outer shell is passed
 * to the group at once. The work's exit status is the Command's.
 */
import { shellAssign } from "./shell";

export interface GroupOptions {
  /** Seconds the work gets after SIGTERM to clean up before the group is SIGKILLed. */
  readonly graceSeconds: number;
}

export function inOwnProcessGroup(script: string, opts: GroupOptions): string {
  const grace = Math.max(1, Math.floor(opts.graceSeconds));
  return [
    "set -u",
    shellAssign("work", script),
    // The work reads the Command's stdin (the kind config): a background job's stdin would be /dev/null.
    "exec 3<&0",
    'setsid /bin/sh -c "$work" sh <&3 3<&- &',
    "pid=$!",
    "exec 3<&-",
    "shell=$$",
    "(",
    "  trap '' INT TERM HUP",
    '  while kill -0 "$shell" 2>/dev/null; do sleep 1 2>/dev/null; done',
    '  if kill -0 "$pid" 2>/dev/null; then',
    '    echo "the Command\'s shell was killed (pulumi cancelled, or its timeout): ending its process group $pid" >&2',
    '    kill -TERM "-$pid" 2>/dev/null',
    "    n=0",
    `    while kill -0 "$pid" 2>/dev/null && [ "$n" -lt ${grace} ]; do sleep 1 2>/dev/null; n=$((n + 1)); done`,
    '    kill -KILL "-$pid" 2>/dev/null',
    "  fi",
    ") </dev/null >/dev/null &",
    "watch=$!",
    "trap 'kill -TERM \"-$pid\" 2>/dev/null' INT TERM HUP",
    'wait "$pid"',
    "rc=$?",
    // A trapped signal interrupts wait (status > 128) while the work is still cleaning up.
    'while kill -0 "$pid" 2>/dev/null; do wait "$pid"; rc=$?; done',
    'kill -KILL "$watch" 2>/dev/null',
    'exit "$rc"',
    "",
  ].join("\n");
}
