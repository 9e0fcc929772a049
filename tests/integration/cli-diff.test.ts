import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CheckpointDiff } from "@/lib/model-facts/kinds";
import { startFactsWorkers } from "@/lib/model-facts/worker";
import { useTempDataDir } from "../helpers/api";
import { startApiServer, type ApiServer } from "../helpers/api-server";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import { readyCheckpoint } from "../helpers/jobs";
import { safetensorsFile as safetensors } from "../helpers/safetensors";


describe.each(testDatabases)("cairn checkpoint diff on %s", (kind) => {
  let database: TestDatabase;
  let server: ApiServer;
  let data: ReturnType<typeof useTempDataDir>;
  let user: TestUser;

  const cairn = (args: string[]) =>
    promisify(execFile)(process.execPath, [path.join(process.cwd(), "bin/cairn.mjs"), ...args], {
      env: { ...process.env, CAIRN_SERVER: server.url, CAIRN_TOKEN: user.token, XDG_CONFIG_HOME: path.join(data.dir, "cli-config") },
      encoding: "utf8",
    }).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({ code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" }),
    );

  beforeAll(async () => {
    data = useTempDataDir();
    database = await openTestDatabase(kind);
    server = await startApiServer();
    await startFactsWorkers({ concurrency: 1 });
    user = await signUpWithToken("cli-diff");
    const base = { "a.weight": { shape: [100, 10], fill: 1 }, "b.weight": { shape: [300, 10], fill: 2 } };
    await readyCheckpoint(user, "before", { "model.safetensors": safetensors(base), "optimizer.pt": "state" });
    await readyCheckpoint(user, "after", { "model.safetensors": safetensors({ ...base, "a.weight": { shape: [100, 10], fill: 7 } }) });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
    data.cleanup();
  });

  it("waits for the tensor digests and prints what changed, with the share of parameters", async () => {
    const result = await cairn(["checkpoint", "diff", "before", "after"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      [
        "before → after",
        "Files: 0 added, 1 removed, 1 changed, 0 identical",
        "  - optimizer.pt",
        "  ~ model.safetensors",
        "Tensors: 0 added, 0 removed, 1 changed, 1 identical",
        "Parameters changed: 1.00 K of 4.00 K (25.0 %)",
        "  ~ a.weight (values)",
        "",
      ].join("\n"),
    );
    const asJson = await cairn(["checkpoint", "diff", "before", "after", "--json"]);
    expect((JSON.parse(asJson.stdout) as CheckpointDiff).parameters).toEqual({ changed: 1000, total: 4000 });
  });

  it("says which checkpoint it cannot find", async () => {
    const result = await cairn(["checkpoint", "diff", "before", "nowhere"]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Checkpoint 'nowhere'/);
  });
});
