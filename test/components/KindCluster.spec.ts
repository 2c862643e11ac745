/**
 * The kind cluster's Commands as the stack declares them (under mocks), run with stub kind and docker:
 * an interrupted `pulumi up` (the Command's shell SIGKILLed, as @pulumi/command does on cancel) must
 * leave no kind create running and no half-made nodes (issue 24, item 6).
 */
import * as assert from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import { running, until } from "../helpers/processes";
import { ofType, runLab } from "../helpers/pulumiMocks";
import { makeStubs } from "../helpers/stubs";

describe("KindCluster (the Commands the stack declares)", function () {
  this.timeout(60000);

  it("deletes the half-made nodes and ends kind create when the create's shell is SIGKILLed mid-create", async () => {
    const r = await runLab({ stackFile: "Pulumi.dev.yaml" });
    const [cluster] = ofType(r.resources, "command:local:Command").filter((c) => c.name === "lab-cluster");
    const create = String(cluster.inputs.create);
    const stubs = makeStubs({
      // kind create keeps running (its pid recorded); the list is empty (no cluster yet).
      kind: 'case "$1 $2" in "create cluster") echo $$ >"$STUB_DIR/create.pid"; exec sleep 60;; esac',
      docker: "true",
    });
    try {
      const child = spawn("/bin/sh", ["-c", create], {
        env: { ...process.env, PATH: `${stubs.dir}:${process.env.PATH}` },
        stdio: ["pipe", "ignore", "ignore"],
      });
      child.stdin.end("kind: Cluster\n");
      const pidFile = `${stubs.dir}/create.pid`;
      assert.ok(await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8") !== "", 10000));
      const kindCreate = Number(fs.readFileSync(pidFile, "utf8"));
      child.kill("SIGKILL");
      assert.ok(await until(() => !running(kindCreate), 10000), "kind create must not go on, orphaned");
      assert.ok(
        await until(
          () => stubs.calls().some((c) => c.slice(0, 3).join(" ") === "kind delete cluster"),
          10000,
        ),
        "the create's trap must delete the nodes it left",
      );
      assert.deepStrictEqual(
        stubs
          .calls()
          .find((c) => c[1] === "delete")
          ?.slice(0, 5),
        ["kind", "delete", "cluster", "--name", "cilium-kubeproxy-replacement-ebpf"],
      );
    } finally {
      stubs.remove();
    }
  });
});
