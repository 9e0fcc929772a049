import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");

/** Imports `modules` in a plain Node process through tsx, without the react-server condition. */
function importPlainly(modules: string[]) {
  const script = modules.map((m) => `await import(${JSON.stringify(path.join(root, m))});`).join("\n");
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", `${script}\nconsole.log("loaded");`], {
    cwd: root,
    // Without the condition tests/setup/server-conditions.ts hands to every child: as on a user's machine.
    env: { ...process.env, NODE_OPTIONS: "", TSX_TSCONFIG_PATH: path.join(root, "tsconfig.json") },
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("layers", () => {
  it("the CLI and the job agent load without a single server module (they run on other machines)", () => {
    const run = importPlainly(["lib/cli/main.ts", "lib/agent/agent.ts", "lib/agent/config.ts"]);
    expect(run.stderr).toBe("");
    expect(run.stdout.trim()).toBe("loaded");
  });

  it("a server module refuses to load outside the server (server-only is live)", () => {
    const run = importPlainly(["lib/queue/boss.ts"]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(/server-only|Client Component/);
  });
});
