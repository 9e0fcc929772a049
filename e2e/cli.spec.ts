import { randomBytes } from "node:crypto";
import { appendFile, copyFile, mkdir, readFile, rm, stat, truncate, writeFile } from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parse } from "yaml";
import { expect, test } from "./fixtures";
import { cairn, finished, newUser, sha256File, spawnCairn, tempDir, writeRandomFile, type CliEnv } from "./cli-helpers";

// The CLI as a process against the built server: no browser session needed.
test.use({ storageState: { cookies: [], origins: [] } });
test.describe.configure({ mode: "serial" });

const MiB = 1024 * 1024;
let env: CliEnv;
let user: Awaited<ReturnType<typeof newUser>>;
let work: string;
const name = `cli-${Date.now().toString(36)}`;
const bigName = `${name}-big`;
const files: Record<string, { size: number; sha256: string }> = {};

test.beforeAll(async ({ request, baseURL }) => {
  user = await newUser(request, "cli");
  work = await tempDir("cli-e2e");
  env = { server: baseURL ?? "", token: user.token, configHome: path.join(work, "config") };
});

test.afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

test("--help works on every command", async () => {
  const commands = [
    [], ["login"], ["checkpoint"], ["checkpoint", "push"], ["checkpoint", "list"], ["checkpoint", "inspect"],
    ["checkpoint", "fetch"], ["checkpoint", "export"], ["checkpoint", "delete"],
    ["connection"], ["connection", "create"], ["connection", "list"], ["connection", "delete"],
    ["job"], ["job", "run"], ["job", "list"], ["job", "inspect"], ["job", "logs"], ["job", "stop"],
  ];
  for (const command of commands) {
    const result = await cairn([...command, "--help"], env);
    expect(result.code, `cairn ${command.join(" ")} --help`).toBe(0);
    expect(result.stdout).toContain(`Usage: cairn ${command.join(" ")}`.trim());
  }
});

test("login reads the password from stdin and saves a token with mode 0600", async ({ baseURL }) => {
  const configHome = path.join(work, "login-config");
  const login = await cairn(["login", "--server", baseURL ?? "", "--email", user.email, "--password-stdin"], { server: "", configHome }, { input: `${user.password}\n` });
  expect(login.stderr).toBe("");
  expect(login.code).toBe(0);
  const file = path.join(configHome, "cairn", "config.json");
  expect(login.stdout).toContain(`Token saved in ${file}`);
  expect((await stat(file)).mode & 0o777).toBe(0o600);
  const saved = JSON.parse(await readFile(file, "utf8")) as { server: string; token: string };
  expect(saved.server).toBe(baseURL);
  expect(saved.token).toMatch(/\S{20,}/);
  // The saved login alone is enough: no CAIRN_SERVER or CAIRN_TOKEN.
  const list = await cairn(["checkpoint", "list"], { server: "", configHome });
  expect(list.code).toBe(0);

  const wrong = await cairn(["login", "--server", baseURL ?? "", "--email", user.email], { server: "", configHome }, { input: "not the password" });
  expect(wrong.code).not.toBe(0);
  expect(wrong.stderr).toMatch(/^error: .+/);
});

test("push a directory: nested paths kept, bytes stored", async () => {
  const dir = path.join(work, "model");
  await mkdir(path.join(dir, "tokenizer", "deep"), { recursive: true });
  await writeFile(path.join(dir, "config.json"), '{"hidden_size": 4096}');
  await writeFile(path.join(dir, "tokenizer", "deep", "vocab.json"), JSON.stringify({ a: 1, b: 2 }));
  const weights = path.join(dir, "model.safetensors");
  await writeRandomFile(weights, 6 * MiB + 123);
  for (const rel of ["config.json", "tokenizer/deep/vocab.json", "model.safetensors"]) {
    const local = path.join(dir, ...rel.split("/"));
    files[rel] = { size: (await stat(local)).size, sha256: await sha256File(local) };
  }

  const push = await cairn(["checkpoint", "push", name, "--file", dir], env);
  expect(push.stderr).toContain(`push ${name}: model.safetensors`);
  expect(push.code).toBe(0);
  expect(push.stdout).toContain(`Checkpoint '${name}' is ready: 3 files`);

  const stored = await (await fetch(`${env.server}/api/v1/checkpoints/${name}/files`, { headers: user.auth })).json();
  const byPath = Object.fromEntries((stored.items as { path: string; size: number; sha256: string }[]).map((f) => [f.path, { size: f.size, sha256: f.sha256 }]));
  expect(byPath).toEqual(files);
});

test("list prints NAME | FILES COUNT | TOTAL SIZE | STATUS | CREATED AT", async () => {
  const result = await cairn(["checkpoint", "list", "--query", name], env);
  expect(result.code).toBe(0);
  const lines = result.stdout.trimEnd().split("\n");
  expect(lines[0].split("|").map((cell) => cell.trim())).toEqual(["NAME", "FILES COUNT", "TOTAL SIZE", "STATUS", "CREATED AT"]);
  expect(lines[1]).toMatch(/^-+(-\+-+)+$/);
  const row = lines.find((line) => line.startsWith(`${name} `));
  const total = Object.values(files).reduce((sum, f) => sum + f.size, 0);
  expect(row?.split("|").map((cell) => cell.trim())).toEqual([name, "3", `${Number((total / MiB).toFixed(2))} MB`, "ready", expect.stringMatching(/^\d+[sm]$/)]);

  const json = await cairn(["checkpoint", "list", "--json", "--status", "ready", "--query", name], env);
  const items = JSON.parse(json.stdout) as { metadata: { name: string } }[];
  expect(items.map((item) => item.metadata.name)).toEqual([name]);
  const none = await cairn(["checkpoint", "list", "--status", "failed", "--query", name], env);
  expect(none.stdout).toContain("No checkpoints.");
});

test("inspect prints the API's checkpoint layout as YAML, and JSON with --json", async () => {
  const yamlResult = await cairn(["checkpoint", "inspect", name], env);
  expect(yamlResult.code).toBe(0);
  const server = await (await fetch(`${env.server}/api/v1/checkpoints/${name}?format=yaml`, { headers: user.auth })).text();
  expect(yamlResult.stdout).toBe(server);
  const doc = parse(yamlResult.stdout);
  expect(Object.keys(doc)).toEqual(["kind", "metadata", "spec", "status"]);
  expect(doc.kind).toBe("Checkpoint");
  // The API's keys in their order; Cairn's extensions (e.g. spec.producedBy) may follow them.
  expect(Object.keys(doc.metadata).slice(0, 5)).toEqual(["id", "name", "creatorUserID", "ownerOrgID", "visibility"]);
  expect(Object.keys(doc.spec).slice(0, 5)).toEqual(["sourceType", "sourceUri", "storageProvider", "sourceOptions", "fromLocalFiles"]);
  expect(Object.keys(doc.status).slice(0, 5)).toEqual(["status", "message", "progress", "size", "fileCount"]);
  expect(doc.spec.sourceType).toBe("local");
  expect(doc.status.status).toBe("ready");
  expect(doc.status.size).toMatch(/^\d+(\.\d+)? MB$/);
  const weights = (doc.status.files as { path: string; size: string; sha256: string }[]).find((f) => f.path === "model.safetensors");
  expect(weights).toEqual({ path: "model.safetensors", size: "6 MB", sha256: files["model.safetensors"].sha256 });

  const json = await cairn(["checkpoint", "inspect", name, "--json"], env);
  const object = JSON.parse(json.stdout);
  expect(object.metadata.id).toBe(doc.metadata.id);
  expect(object.status.size).toBe(Object.values(files).reduce((sum, f) => sum + f.size, 0));
});

test("fetch writes every file byte-identical, then skips what is already there", async () => {
  const dest = path.join(work, "fetched");
  const result = await cairn(["checkpoint", "fetch", name, "-d", dest], env);
  expect(result.stderr).not.toContain("error");
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("3 downloaded, 0 resumed, 0 already present");
  for (const [rel, expected] of Object.entries(files)) {
    expect(await sha256File(path.join(dest, ...rel.split("/"))), rel).toBe(expected.sha256);
    expect(await readFile(path.join(dest, ...rel.split("/")))).toEqual(await readFile(path.join(work, "model", ...rel.split("/"))));
  }
  const again = await cairn(["checkpoint", "fetch", name, "-d", dest], env);
  expect(again.stdout).toContain("0 downloaded, 0 resumed, 3 already present; 0 bytes transferred");
});

test("push and fetch resume where they were interrupted; fetch verifies SHA-256", async () => {
  const source = path.join(work, "big.bin");
  const size = 200 * MiB;
  const sha256 = await writeRandomFile(source, size);
  // A push killed part-way resumes its tus upload when run again.
  const pushArgs = ["checkpoint", "push", bigName, "--file", `${source}=weights/big.bin`];
  const pushing = spawnCairn(pushArgs, env);
  const pushDone = finished(pushing);
  const uploads = path.join(env.configHome, "cairn", "uploads.json");
  let serverOffset = 0;
  // Once the upload exists, freeze the CLI (SIGSTOP) and ask the server how far it got; the
  // frozen client cannot finish behind our back, so the kill lands part-way.
  for (let i = 0; i < 3000 && pushing.exitCode === null && serverOffset === 0; i++) {
    const stored = await readFile(uploads, "utf8").then((text) => Object.values(JSON.parse(text) as Record<string, { uploadUrl: string }>), () => []);
    if (!stored[0]?.uploadUrl) {
      await sleep(5);
      continue;
    }
    pushing.kill("SIGSTOP");
    const head = await fetch(stored[0].uploadUrl, { method: "HEAD", headers: { ...user.auth, "tus-resumable": "1.0.0" } });
    serverOffset = Number(head.headers.get("upload-offset") ?? 0);
    if (serverOffset === 0) {
      pushing.kill("SIGCONT");
      await sleep(20);
    }
  }
  pushing.kill("SIGKILL");
  await pushDone;
  expect(serverOffset).toBeGreaterThan(0);
  expect(serverOffset).toBeLessThan(size);
  const resumedPush = await cairn(pushArgs, env);
  expect(resumedPush.code, resumedPush.stderr).toBe(0);
  expect(resumedPush.stderr).toContain(`Resuming the unfinished push of '${bigName}'`);
  expect(resumedPush.stderr).toMatch(/resuming weights\/big\.bin from [1-9]\d* bytes/);
  expect(resumedPush.stdout).toContain(`Checkpoint '${bigName}' is ready: 1 files`);

  // A fetch killed part-way leaves `<file>.part` (its ranges written out of order) and a record of
  // how far its bytes are contiguous, and no file.
  const dest = path.join(work, "big-fetch");
  const part = path.join(dest, "weights", "big.bin.part");
  const record = `${part}.json`;
  const contiguous = () => readFile(record, "utf8").then((text) => (JSON.parse(text) as { prefix: number }).prefix).catch(() => 0);
  const child = spawnCairn(["checkpoint", "fetch", bigName, "-d", dest], env);
  const done = finished(child);
  for (let i = 0; i < 2000 && child.exitCode === null; i++) {
    if ((await contiguous()) > 0) {
      child.kill("SIGSTOP");
      break;
    }
    await sleep(5);
  }
  child.kill("SIGKILL");
  await done;
  const left = await contiguous();
  expect(left).toBeGreaterThan(0);
  expect(left).toBeLessThan(size);
  expect((await stat(part)).size).toBeGreaterThanOrEqual(left);
  await expect(stat(path.join(dest, "weights", "big.bin"))).rejects.toThrow();

  const resumed = await cairn(["checkpoint", "fetch", bigName, "-d", dest], env);
  expect(resumed.code).toBe(0);
  expect(resumed.stderr).toContain(`resuming weights/big.bin from ${left} bytes`);
  expect(resumed.stdout).toContain(`0 downloaded, 1 resumed, 0 already present; ${size - left} bytes transferred`);
  expect(await sha256File(path.join(dest, "weights", "big.bin"))).toBe(sha256);
  await expect(stat(part)).rejects.toThrow();
  await expect(stat(record)).rejects.toThrow();

  // A ranged partial whose record vouches for 100 MiB, with bytes past them that are not the
  // file's (a range that was still arriving): only the first 100 MiB are kept.
  const destRanged = path.join(work, "big-fetch-ranged");
  const rangedPart = path.join(destRanged, "weights", "big.bin.part");
  await mkdir(path.dirname(rangedPart), { recursive: true });
  await copyFile(source, rangedPart);
  await truncate(rangedPart, 100 * MiB);
  await appendFile(rangedPart, randomBytes(30 * MiB));
  await writeFile(`${rangedPart}.json`, JSON.stringify({ sha256, size, prefix: 100 * MiB }));
  const fromRecord = await cairn(["checkpoint", "fetch", bigName, "-d", destRanged], env);
  expect(fromRecord.code, fromRecord.stderr).toBe(0);
  expect(fromRecord.stderr).toContain(`resuming weights/big.bin from ${100 * MiB} bytes`);
  expect(fromRecord.stdout).toContain(`1 resumed, 0 already present; ${size - 100 * MiB} bytes transferred`);
  expect(await sha256File(path.join(destRanged, "weights", "big.bin"))).toBe(sha256);
  // A record cut short (a fetch killed while writing one) vouches for nothing: the file starts over.
  await copyFile(source, rangedPart);
  await writeFile(`${rangedPart}.json`, '{"sha256":"');
  await rm(path.join(destRanged, "weights", "big.bin"));
  const fromScratch = await cairn(["checkpoint", "fetch", bigName, "-d", destRanged], env);
  expect(fromScratch.code, fromScratch.stderr).toBe(0);
  expect(fromScratch.stdout).toContain(`1 downloaded, 0 resumed, 0 already present; ${size} bytes transferred`);
  await expect(stat(`${rangedPart}.json`)).rejects.toThrow();

  // A deterministic partial: the first 50 MiB as if a fetch had stopped there.
  const dest2 = path.join(work, "big-fetch-2");
  await mkdir(path.join(dest2, "weights"), { recursive: true });
  await copyFile(source, path.join(dest2, "weights", "big.bin.part"));
  await truncate(path.join(dest2, "weights", "big.bin.part"), 50 * MiB);
  const second = await cairn(["checkpoint", "fetch", bigName, "-d", dest2], env);
  expect(second.stdout).toContain(`1 resumed, 0 already present; ${size - 50 * MiB} bytes transferred`);
  expect(await sha256File(path.join(dest2, "weights", "big.bin"))).toBe(sha256);

  // A partial that is not a prefix of the file fails verification and starts over.
  const dest3 = path.join(work, "big-fetch-3");
  await mkdir(path.join(dest3, "weights"), { recursive: true });
  await writeFile(path.join(dest3, "weights", "big.bin.part"), randomBytes(MiB));
  const third = await cairn(["checkpoint", "fetch", bigName, "-d", dest3], env);
  expect(third.code).toBe(0);
  expect(third.stderr).toContain("weights/big.bin: the partial download did not match; starting it over");
  expect(third.stdout).toContain(`1 downloaded, 0 resumed, 0 already present; ${size} bytes transferred`);
  expect(await sha256File(path.join(dest3, "weights", "big.bin"))).toBe(sha256);
});

test("a bad ref exits non-zero with the API's message", async () => {
  const api = await (await fetch(`${env.server}/api/v1/checkpoints/no-such-checkpoint`, { headers: user.auth })).json();
  expect(api.error.code).toBe("not_found");
  for (const args of [["checkpoint", "inspect", "no-such-checkpoint"], ["checkpoint", "fetch", "no-such-checkpoint", "-d", path.join(work, "none")]]) {
    const result = await cairn(args, env);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`error: ${api.error.message}\n`);
    expect(result.stdout).toBe("");
  }
  const badName = await cairn(["checkpoint", "push", "Bad Name", "--file", path.join(work, "model", "config.json")], env);
  expect(badName.code).toBe(1);
  expect(badName.stderr).toMatch(/^error: Fix these fields and try again — name: .+\n$/);
  const noToken = await cairn(["checkpoint", "list"], { server: env.server, configHome: path.join(work, "empty-config") });
  expect(noToken.code).toBe(1);
  expect(noToken.stderr).toContain("Not logged in");
});

test("delete asks for --yes when not at a terminal, then deletes", async () => {
  const refused = await cairn(["checkpoint", "delete", name], env);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain("--yes");
  expect((await fetch(`${env.server}/api/v1/checkpoints/${name}`, { headers: user.auth })).status).toBe(200);

  for (const ref of [name, bigName]) {
    const deleted = await cairn(["checkpoint", "delete", ref, "--yes"], env);
    expect(deleted.code).toBe(0);
    expect(deleted.stdout).toContain(`Deleted checkpoint '${ref}'.`);
    expect((await fetch(`${env.server}/api/v1/checkpoints/${ref}`, { headers: user.auth })).status).toBe(404);
  }
});
