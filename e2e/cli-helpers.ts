import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { APIRequestContext } from "@playwright/test";
import { expect, test } from "./fixtures";

/** bin/cairn.mjs, found from the project's testDir (e2e/), whatever the working directory. */
export const cairnBin = () => path.resolve(test.info().project.testDir, "..", "bin", "cairn.mjs");

export type CliResult = { code: number | null; stdout: string; stderr: string };
export type CliEnv = { server: string; token?: string; configHome: string };

/** Starts `node bin/cairn.mjs …` as a user's shell would, with its own config directory. */
export function spawnCairn(args: string[], env: CliEnv, options: { input?: string; cwd?: string } = {}): ChildProcess {
  const childEnv = { ...process.env };
  for (const key of Object.keys(childEnv)) if (key.startsWith("CAIRN_")) delete childEnv[key];
  Object.assign(childEnv, { XDG_CONFIG_HOME: env.configHome, CAIRN_SERVER: env.server }, env.token ? { CAIRN_TOKEN: env.token } : {});
  const child = spawn(process.execPath, [cairnBin(), ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: childEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdin?.end(options.input ?? "");
  return child;
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

export function cairn(args: string[], env: CliEnv, options: { input?: string; cwd?: string } = {}): Promise<CliResult> {
  return finished(spawnCairn(args, env, options));
}

/** A fresh user with an API token, created over HTTP. */
export async function newUser(request: APIRequestContext, prefix: string) {
  const email = `${prefix}-${Date.now()}-${randomBytes(3).toString("hex")}@example.com`;
  const password = "cli password 123";
  expect((await request.post("/api/v1/users", { data: { email, password } })).status()).toBe(201);
  const created = await request.post("/api/v1/tokens", {
    data: { name: "e2e-cli" },
    headers: { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString("base64")}` },
  });
  expect(created.status()).toBe(201);
  const { token } = (await created.json()) as { token: string };
  return { email, password, token, auth: { authorization: `Bearer ${token}` } };
}

export const tempDir = (prefix: string) => mkdtemp(path.join(os.tmpdir(), `cairn-${prefix}-`));

export { sha256File, writeRandomFile } from "../tests/helpers/files";
