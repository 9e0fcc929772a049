import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as files from "@/app/api/v1/checkpoints/[ref]/files/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import {
  call,
  commitCheckpoint,
  createCheckpoint,
  expectError,
  getCheckpoint,
  json,
  putFile,
  readyCheckpoint,
  sha256,
  testDatabases,
  useApiSuite,
  type CheckpointAnswer,
  type Envelope,
  type ListAnswer,
} from "../helpers/api-suite";

describe.each(testDatabases)("checkpoints API on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["ckpt"] });
  const { ckpt: user } = suite.users;

  const create = (name: string, extra: Record<string, unknown> = {}) => createCheckpoint(user, name, extra);
  const put = (ref: string, path: string[], body: BodyInit) => putFile(user, ref, path, body);
  const doCommit = (ref: string) => commitCheckpoint(user, ref);

  it("creates a local checkpoint in the uploading state", async () => {
    const response = await create("llama-7b");
    expect(response.status).toBe(201);
    const body = await json<CheckpointAnswer>(response);
    expect(body.kind).toBe("Checkpoint");
    expect(body.metadata).toMatchObject({ name: "llama-7b", visibility: "private" });
    expect(body.spec).toMatchObject({ sourceType: "local" });
    expect(body.status).toMatchObject({ status: "uploading", size: 0, fileCount: 0 });
  });

  it.each([
    ["Upper", "Use lower case only."],
    ["-leading", "Use 1–63"],
    ["trailing.", "Use 1–63"],
    ["a".repeat(64), "64 characters"],
    ["spa ce", "Use 1–63"],
  ])("refuses the name %j with 422 naming the field", async (name, hint) => {
    const body = await expectError(await create(name), 422, "validation_failed");
    expect(body.error.details?.fields?.name).toContain(hint);
  });

  it("answers 409 for a duplicate name and 422 for an unavailable source type", async () => {
    expect((await create("taken-name")).status).toBe(201);
    const duplicate = await create("taken-name");
    expect(duplicate.status).toBe(409);
    expect(await json(duplicate)).toEqual({
      error: {
        code: "conflict",
        message: "A checkpoint named 'taken-name' already exists in this organization. Pick another name.",
        details: { fields: { name: "already taken" } },
      },
    });
    const bogus = await create("x1", { sourceType: "ftp-magic" });
    expect(bogus.status).toBe(422);
    expect((await json<Envelope>(bogus)).error.details?.fields?.sourceType).toBeDefined();
  });

  it("stores files, refuses bad paths, commits, then freezes the content", async () => {
    expect((await create("frozen")).status).toBe(201);
    const weights = randomBytes(300_000);
    const config = Buffer.from('{"model_type":"llama"}');
    expect((await put("frozen", ["model.safetensors"], weights)).status).toBe(201);
    const nested = await put("frozen", ["tokenizer", "config.json"], config);
    expect(nested.status).toBe(201);
    expect(await json(nested)).toEqual({ path: "tokenizer/config.json", size: config.length, sha256: sha256(config) });

    for (const bad of [["..", "etc"], ["a", "", "b"], ["a\\b"], ["", "abs"]]) {
      const response = await put("frozen", bad, "x");
      expect(response.status, bad.join("/")).toBe(422);
      const body = await json<Envelope>(response);
      expect(body.error.code).toBe("validation_failed");
      expect(body.error.details?.fields?.path).toContain("File paths are relative");
    }

    const committed = await doCommit("frozen");
    expect(committed.status).toBe(200);
    const ready = await json<CheckpointAnswer>(committed);
    expect(ready.status).toMatchObject({ status: "ready", fileCount: 2, size: weights.length + config.length });

    const again = await put("frozen", ["extra.bin"], "x");
    expect(again.status).toBe(409);
    expect((await json<Envelope>(again)).error).toMatchObject({ code: "conflict", message: expect.stringContaining("immutable") });
    const recommit = await doCommit("frozen");
    expect(recommit.status).toBe(409);

    const listed = await json<{ items: { path: string; sha256: string }[] }>(
      await call(files.GET, "/api/v1/checkpoints/frozen/files", { token: user.token, params: { ref: "frozen" } }),
    );
    expect(listed.items).toEqual([
      { path: "model.safetensors", size: weights.length, sha256: sha256(weights) },
      { path: "tokenizer/config.json", size: config.length, sha256: sha256(config) },
    ]);

    const whole = await call(file.GET, "/x", { token: user.token, params: { ref: "frozen", path: ["model.safetensors"] } });
    expect(whole.status).toBe(200);
    expect(whole.headers.get("etag")).toBe(`"${sha256(weights)}"`);
    expect(whole.headers.get("content-length")).toBe(String(weights.length));
    expect(Buffer.from(await whole.arrayBuffer()).equals(weights)).toBe(true);

    const ranged = await call(file.GET, "/x", { token: user.token, headers: { range: "bytes=100-199" }, params: { ref: "frozen", path: ["model.safetensors"] } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get("content-range")).toBe(`bytes 100-199/${weights.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(weights.subarray(100, 200))).toBe(true);

    const cached = await call(file.GET, "/x", { token: user.token, headers: { "if-none-match": `"${sha256(weights)}"` }, params: { ref: "frozen", path: ["model.safetensors"] } });
    expect(cached.status).toBe(304);
    const outside = await call(file.GET, "/x", { token: user.token, headers: { range: "bytes=999999999-" }, params: { ref: "frozen", path: ["model.safetensors"] } });
    expect(outside.status).toBe(416);
  });

  it("commit refuses an empty checkpoint with 422", async () => {
    await create("empty-one");
    const response = await doCommit("empty-one");
    expect(response.status).toBe(422);
    expect(await json(response)).toEqual({
      error: {
        code: "validation_failed",
        message: "The checkpoint has no files. Upload at least one file, then commit.",
        details: { fields: { files: "none uploaded" } },
      },
    });
  });

  it("renders YAML with human sizes and keeps the creation log", async () => {
    await readyCheckpoint(user, "rendered", { "model.safetensors": randomBytes(300_000), "tokenizer/config.json": '{"model_type":"llama"}' });
    const yaml = await call(one.GET, "/x", { token: user.token, query: { format: "yaml" }, params: { ref: "rendered" } });
    expect(yaml.headers.get("content-type")).toContain("yaml");
    const text = await yaml.text();
    expect(text).toContain("kind: Checkpoint");
    expect(text).toMatch(/size: 292\.99 KB/);
    const log = await json<{ items: { message: string }[] }>(await call(logs.GET, "/x", { token: user.token, params: { ref: "rendered" } }));
    expect(log.items.map((i) => i.message)).toEqual(
      expect.arrayContaining([expect.stringContaining("Received model.safetensors"), expect.stringContaining("Committed 2 files")]),
    );
  });

  it("renames, refuses content changes in PATCH, and finds by id or name", async () => {
    await readyCheckpoint(user, "llama-13b", { "w.bin": "weights" });
    const current = await getCheckpoint(user, "llama-13b");
    const renamed = await call(one.PATCH, "/x", { method: "PATCH", token: user.token, body: { name: "llama-13b-v2" }, params: { ref: current.metadata.id } });
    expect(renamed.status).toBe(200);
    expect((await json<CheckpointAnswer>(renamed)).metadata.name).toBe("llama-13b-v2");
    const immutable = await call(one.PATCH, "/x", { method: "PATCH", token: user.token, body: { sourceUri: "s3://x/" }, params: { ref: "llama-13b-v2" } });
    expect(immutable.status).toBe(422);
    expect((await json<Envelope>(immutable)).error.details?.fields).toEqual({
      sourceUri: "Only name, visibility and pinned can change; a checkpoint's content is immutable.",
    });
    const missing = await call(one.GET, "/x", { token: user.token, params: { ref: "llama-13b" } });
    expect(missing.status).toBe(404);
    expect(await json(missing)).toEqual({ error: { code: "not_found", message: "Checkpoint 'llama-13b' was not found." } });
  });

  it("lists with search, filters, every sort and cursor pages that add up", async () => {
    for (const [i, name] of ["bert-base", "bert-large", "gpt2", "t5-small", "t5-large"].entries()) {
      await create(name);
      await put(name, ["w.bin"], randomBytes(1000 * (i + 1)));
    }
    const token = user.token;
    const search = await json<ListAnswer<CheckpointAnswer>>(await call(list.GET, "/x", { token, query: { q: "bert", sort: "name" } }));
    expect(search.total).toBe(2);
    expect(search.items.map((c) => c.metadata.name)).toEqual(["bert-base", "bert-large"]);
    // A substring anywhere in the name (the trigram index serves these), `_` and `%` taken literally.
    for (const [q, names] of [["-larg", ["bert-large", "t5-large"]], ["5-sm", ["t5-small"]], ["t_", []], ["%", []]] as const) {
      const found = await json<ListAnswer<CheckpointAnswer>>(await call(list.GET, "/x", { token, query: { q, sort: "name" } }));
      expect(found.items.map((c) => c.metadata.name)).toEqual(names);
    }

    const bySize = await json<ListAnswer<CheckpointAnswer>>(await call(list.GET, "/x", { token, query: { sort: "-size", status: "uploading" } }));
    const sizes = bySize.items.map((c) => c.status.size);
    expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
    expect(bySize.items.every((c) => c.status.status === "uploading")).toBe(true);

    for (const sort of ["name", "-name", "size", "-size", "createdAt", "-createdAt"]) {
      const all = await json<ListAnswer<CheckpointAnswer>>(await call(list.GET, "/x", { token, query: { sort, limit: "200" } }));
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: Record<string, string> = { sort, limit: "2", ...(cursor ? { cursor } : {}) };
        const page = await json<ListAnswer<CheckpointAnswer>>(await call(list.GET, "/x", { token, query }));
        expect(page.total).toBe(all.total);
        seen.push(...page.items.map((c) => c.metadata.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen, sort).toEqual(all.items.map((c) => c.metadata.id));
    }

    await expectError(await call(list.GET, "/x", { token, query: { limit: "500" } }), 400, "invalid_request");
    const badCursor = await call(list.GET, "/x", { token, query: { cursor: "garbage" } });
    expect(badCursor.status).toBe(400);
  });

  it("deletes, frees the name, and 404s afterwards", async () => {
    await readyCheckpoint(user, "doomed", { "w.bin": "weights" });
    const deleted = await call(one.DELETE, "/x", { method: "DELETE", token: user.token, params: { ref: "doomed" } });
    expect(deleted.status).toBe(204);
    expect((await call(one.GET, "/x", { token: user.token, params: { ref: "doomed" } })).status).toBe(404);
    expect((await create("doomed")).status).toBe(201);
  });
});
