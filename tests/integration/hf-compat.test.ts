import { randomBytes } from "node:crypto";
import { downloadFile, listFiles, modelInfo, type ListFileEntry } from "@huggingface/hub";
import { beforeAll, describe, expect, it } from "vitest";
import * as checkpointRoute from "@/app/api/v1/checkpoints/[ref]/route";
import * as connectionsRoute from "@/app/api/v1/connections/route";
import * as currentOrgRoute from "@/app/api/v1/orgs/current/route";
import { getDb } from "@/lib/db/client";
import { runIngest } from "@/lib/ingest/run";
import { refreshModelFacts } from "@/lib/model-facts/service";
import {
  call,
  createCheckpoint,
  getCheckpoint,
  json,
  sha256,
  testDatabases,
  useApiSuite,
  type CheckpointAnswer,
  type TestUser,
} from "../helpers/api-suite";
import { readyCheckpoint } from "../helpers/jobs";

const files: Record<string, Buffer> = {
  "config.json": Buffer.from('{"architectures": ["LlamaForCausalLM"], "model_type": "llama"}\n'),
  "model.safetensors": randomBytes(300_000),
  "tokenizer/vocab.txt": Buffer.from("hello\nworld\n"),
  "nested/deeper/optimizer.pt": randomBytes(5_000),
  "empty.txt": Buffer.alloc(0),
};
const paths = Object.keys(files).sort();

/** What huggingface_hub's `hf_raise_for_status` raises for an answer (utils/_http.py), in its order of checks. */
function pythonError(response: Response): string | null {
  if (response.ok || response.status === 304) return null;
  const code = response.headers.get("x-error-code");
  if (code === "RevisionNotFound") return "RevisionNotFoundError";
  if (code === "EntryNotFound") return "RemoteEntryNotFoundError";
  if (code === "GatedRepo") return "GatedRepoError";
  const repoUrl = /\/api\/models\/|\/resolve\//.test(response.url);
  if (code === "RepoNotFound" || (response.status === 401 && response.headers.get("x-error-message") !== "Invalid credentials in Authorization header" && repoUrl)) {
    return "RepositoryNotFoundError";
  }
  return "HfHubHTTPError";
}

/** huggingface_hub's `paginate` (utils/_pagination.py): GET, then follow `Link: <…>; rel="next"` until none. */
async function paginate(url: string, headers: Record<string, string>): Promise<{ items: Record<string, unknown>[]; pages: number }> {
  const items: Record<string, unknown>[] = [];
  let next: string | null = url;
  let pages = 0;
  while (next) {
    const response: Response = await fetch(next, { headers });
    expect(response.status, await response.clone().text()).toBe(200);
    items.push(...(await json<Record<string, unknown>[]>(response)));
    pages += 1;
    next = /<([^>]+)>;\s*rel="next"/.exec(response.headers.get("link") ?? "")?.[1] ?? null;
  }
  return { items, pages };
}

/** @huggingface/hub takes only `hf_…` tokens; a Cairn token travels on its `fetch` option, as lib/sources/huggingface sends it. */
const bearer = (token: string): typeof fetch => (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return fetch(input, { ...init, headers });
};

describe.each(testDatabases)("Hugging Face Hub-compatible reads on %s", (kind) => {
  const suite = useApiSuite(kind, { server: true, users: ["alice", "bob"], env: { CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.1/32" } });
  const { alice, bob } = suite.users;
  let slug = "";
  let repo = "";
  let checkpointId = "";
  let publicRepo = "";
  const hub = () => suite.server.url;
  const auth = (user: TestUser) => ({ authorization: `Bearer ${user.token}` });
  const resolveUrl = (repoId: string, rev: string, path: string) => `${hub()}/${repoId}/resolve/${encodeURIComponent(rev)}/${path.split("/").map(encodeURIComponent).join("/")}`;
  const info = (repoId: string, rev: string, headers: Record<string, string> = {}) => fetch(`${hub()}/api/models/${repoId}/revision/${encodeURIComponent(rev)}`, { headers });
  const commitOf = async () => json<{ sha: string }>(await info(repo, "main", auth(alice))).then((body) => body.sha);

  beforeAll(async () => {
    slug = (await json<{ slug: string }>(await call(currentOrgRoute.GET, "/api/v1/orgs/current", { token: alice.token }))).slug;
    checkpointId = await readyCheckpoint(alice, "tiny-llm", files);
    repo = `${slug}/tiny-llm`;
    const publicId = await readyCheckpoint(alice, "open-llm", { "README.md": "# open\n" });
    const patched = await call(checkpointRoute.PATCH, "/x", { method: "PATCH", token: alice.token, params: { ref: publicId }, body: { visibility: "public" } });
    expect(patched.status).toBe(200);
    publicRepo = `${slug}/open-llm`;
  });

  it("serves @huggingface/hub's own modelInfo, listFiles and downloadFile, byte for byte", async () => {
    const client = { hubUrl: hub(), fetch: bearer(alice.token) };
    const model = await modelInfo({ ...client, name: repo, additionalFields: ["sha", "filePaths", "cardData"] });
    expect(model).toMatchObject({ id: checkpointId, name: repo, private: true, gated: false, downloads: 0, likes: 0 });
    expect(model.updatedAt).toBeInstanceOf(Date);
    expect(Number.isNaN(model.updatedAt.getTime())).toBe(false);
    expect(model.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(model.filePaths).toEqual(paths);

    const entries: ListFileEntry[] = [];
    for await (const entry of listFiles({ ...client, repo, recursive: true })) entries.push(entry);
    expect(entries.filter((e) => e.type === "directory").map((e) => e.path)).toEqual(["nested", "nested/deeper", "tokenizer"]);
    const listed = entries.filter((e) => e.type === "file");
    expect(listed.map((e) => e.path)).toEqual(paths);
    for (const entry of listed) {
      const content = files[entry.path];
      expect(entry).toMatchObject({ size: content.length, lfs: { oid: sha256(content), size: content.length } });
      expect(entry.oid).toMatch(/^[0-9a-f]{40}$/);
    }

    for (const path of paths) {
      const blob = await downloadFile({ ...client, repo, path });
      expect(blob, path).not.toBeNull();
      expect(sha256(Buffer.from(await (blob as Blob).arrayBuffer())), path).toBe(sha256(files[path]));
    }
    // The client's own ranged read (a Range request) of a slice.
    const weights = await downloadFile({ ...client, repo, path: "model.safetensors", revision: model.sha as string });
    const slice = Buffer.from(await (weights as Blob).slice(1000, 1100).arrayBuffer());
    expect(slice.equals(files["model.safetensors"].subarray(1000, 1100))).toBe(true);
    // A missing file is null to the client: EntryNotFound.
    expect(await downloadFile({ ...client, repo, path: "absent.bin" })).toBeNull();
  });

  it("answers the exact requests huggingface_hub's snapshot_download makes, with every header it reads", async () => {
    // _snapshot_download.py `snapshot_download(repo_id, revision="main")`:
    //  1. HfApi.repo_info → model_info: GET {HF_ENDPOINT}/api/models/{repo_id}/revision/main with
    //     `authorization: Bearer $HF_TOKEN`; ModelInfo(**json) needs `id`, and `sha` must be set.
    //  2. HfApi.list_repo_tree(recursive=True, revision=sha) → paginate: GET
    //     /api/models/{repo_id}/tree/{sha}?recursive=true&expand=false, then every Link rel="next";
    //     RepoFile(**item) reads type, path, size, oid, lfs.{oid,size,pointerSize}; RepoFolder path, oid.
    //  3. Per file, hf_hub_download(revision=sha) → _get_metadata_or_catch_error → get_hf_file_metadata:
    //     HEAD /{repo_id}/resolve/{sha}/{quote(path)} with `Accept-Encoding: identity`; it reads
    //     X-Repo-Commit (required), X-Linked-Etag or ETag (W/ and quotes stripped; required),
    //     Location (none: the request URL), X-Linked-Size or Content-Length (required), X-Xet-Hash (none: plain HTTP).
    //  4. _download_to_tmp_and_move → http_get: GET the same URL with the same headers (same host, so
    //     the token stays); total from Content-Range or Content-Length; the bytes written must add up to
    //     the size from step 3. The blob is cached under the etag.
    const headers = { ...auth(alice), "user-agent": "unknown/None; hf_hub/1.0.0; python/3.12" };
    const modelResponse = await fetch(`${hub()}/api/models/${repo}/revision/main`, { headers });
    expect(modelResponse.status).toBe(200);
    const model = await json<{ id: string; sha: string; siblings: { rfilename: string }[] }>(modelResponse);
    expect(model.id).toBe(repo);
    expect(model.sha).toMatch(/^[0-9a-f]{40}$/);

    const tree = await paginate(`${hub()}/api/models/${repo}/tree/${model.sha}?recursive=true&expand=false`, headers);
    const repoFiles = tree.items.filter((item) => item.type === "file") as { path: string; size: number; oid: string; lfs: { oid: string; size: number; pointerSize: number } }[];
    expect(repoFiles.map((f) => f.path)).toEqual(paths);
    for (const item of tree.items) expect(typeof item.oid).toBe("string");
    for (const file of repoFiles) expect(file.lfs.pointerSize).toBeGreaterThan(100);

    for (const file of repoFiles) {
      const url = resolveUrl(repo, model.sha, file.path);
      const head = await fetch(url, { method: "HEAD", headers: { ...headers, "accept-encoding": "identity" }, redirect: "manual" });
      expect(head.status, file.path).toBe(200);
      expect(head.headers.get("x-repo-commit")).toBe(model.sha);
      const etag = (head.headers.get("x-linked-etag") ?? head.headers.get("etag") ?? "").replace(/^W\//, "").replace(/^"|"$/g, "");
      expect(etag).toBe(sha256(files[file.path]));
      expect(head.headers.get("etag")).toBe(`"${sha256(files[file.path])}"`);
      expect(head.headers.get("location")).toBeNull();
      const expectedSize = Number(head.headers.get("x-linked-size") ?? head.headers.get("content-length"));
      expect(expectedSize).toBe(files[file.path].length);
      expect(head.headers.get("content-length")).toBe(String(files[file.path].length));
      expect(head.headers.get("x-xet-hash")).toBeNull();
      expect(await head.text()).toBe("");

      const get = await fetch(url, { headers });
      expect(get.status).toBe(200);
      expect(get.headers.get("content-encoding")).toBeNull();
      expect(Number(get.headers.get("content-length"))).toBe(expectedSize);
      const body = Buffer.from(await get.arrayBuffer());
      expect(body.length).toBe(expectedSize);
      expect(sha256(body)).toBe(etag);
    }
  });

  it("serves single byte ranges, as http_get resumes and WebBlob slices", async () => {
    const url = resolveUrl(repo, "main", "model.safetensors");
    const weights = files["model.safetensors"];
    const partial = await fetch(url, { headers: { ...auth(alice), range: "bytes=100-199" } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get("content-range")).toBe(`bytes 100-199/${weights.length}`);
    expect(partial.headers.get("content-length")).toBe("100");
    expect(partial.headers.get("accept-ranges")).toBe("bytes");
    expect(partial.headers.get("x-linked-size")).toBe(String(weights.length));
    expect(Buffer.from(await partial.arrayBuffer()).equals(weights.subarray(100, 200))).toBe(true);
    const resumed = await fetch(url, { headers: { ...auth(alice), range: `bytes=${weights.length - 10}-` } });
    expect(resumed.status).toBe(206);
    expect(Buffer.from(await resumed.arrayBuffer()).equals(weights.subarray(weights.length - 10))).toBe(true);
    const beyond = await fetch(url, { headers: { ...auth(alice), range: `bytes=${weights.length}-` } });
    expect(beyond.status).toBe(416);
    expect(beyond.headers.get("content-range")).toBe(`bytes */${weights.length}`);
  });

  it("resolves main, HEAD, the checkpoint id and the commit sha, and nothing else", async () => {
    const commit = await commitOf();
    for (const rev of ["main", "HEAD", checkpointId, commit, commit.toUpperCase()]) {
      const answer = await info(repo, rev, auth(alice));
      expect(answer.status, rev).toBe(200);
      expect((await json<{ sha: string }>(answer)).sha).toBe(commit);
      const file = await fetch(resolveUrl(repo, rev, "config.json"), { headers: auth(alice) });
      expect(file.status, rev).toBe(200);
      expect(file.headers.get("x-repo-commit")).toBe(commit);
      expect(await file.text()).toBe(files["config.json"].toString());
    }
    // The revision-less model_info is main.
    expect((await json<{ sha: string }>(await fetch(`${hub()}/api/models/${repo}`, { headers: auth(alice) }))).sha).toBe(commit);

    for (const rev of ["v1.0", "dev", "0".repeat(40), "00000000-0000-4000-8000-000000000000"]) {
      for (const answer of [await info(repo, rev, auth(alice)), await fetch(resolveUrl(repo, rev, "config.json"), { headers: auth(alice) }), await fetch(`${hub()}/api/models/${repo}/tree/${rev}`, { headers: auth(alice) })]) {
        expect(answer.status, rev).toBe(404);
        expect(answer.headers.get("x-error-code")).toBe("RevisionNotFound");
        expect(pythonError(answer)).toBe("RevisionNotFoundError");
        expect((await json<{ error: string }>(answer)).error).toBe(
          `Revision '${rev}' not found in ${repo}. Use main, HEAD, the checkpoint id ${checkpointId} or the commit ${commit}.`,
        );
      }
    }
  });

  it("names the architecture the Hub reads from config.json, and honours expand and blobs", async () => {
    await refreshModelFacts(await getDb(), { orgId: alice.orgId, checkpointId });
    const full = await json<Record<string, unknown>>(await info(repo, "main", auth(alice)));
    expect(full).toMatchObject({ _id: checkpointId, id: repo, modelId: repo, author: slug, private: true, config: { architectures: ["LlamaForCausalLM"], model_type: "llama" } });
    expect(full.siblings).toEqual(paths.map((rfilename) => ({ rfilename })));
    // Only what `expand` names, with the ids, as the Hub answers.
    const expanded = await json<Record<string, unknown>>(await fetch(`${hub()}/api/models/${repo}/revision/main?expand=sha&expand=config`, { headers: auth(alice) }));
    expect(Object.keys(expanded).sort()).toEqual(["_id", "config", "id", "sha"]);
    // files_metadata=True: each sibling's size and LFS facts.
    const blobs = await json<{ siblings: { rfilename: string; size: number; blobId: string; lfs: { sha256: string; size: number; pointerSize: number } }[] }>(
      await fetch(`${hub()}/api/models/${repo}?blobs=True`, { headers: auth(alice) }),
    );
    const weights = blobs.siblings.find((s) => s.rfilename === "model.safetensors");
    expect(weights).toMatchObject({ size: 300_000, lfs: { sha256: sha256(files["model.safetensors"]), size: 300_000 } });
    expect(weights?.blobId).toMatch(/^[0-9a-f]{40}$/);
  });

  it("keeps the commit sha stable and tied to the content", async () => {
    const commit = await commitOf();
    expect(await commitOf()).toBe(commit);
    // The same files in another checkpoint are the same commit; one byte more is another.
    await readyCheckpoint(alice, "tiny-copy", files);
    expect((await json<{ sha: string }>(await info(`${slug}/tiny-copy`, "main", auth(alice)))).sha).toBe(commit);
    await readyCheckpoint(alice, "tiny-changed", { ...files, "extra.txt": "x" });
    expect((await json<{ sha: string }>(await info(`${slug}/tiny-changed`, "main", auth(alice)))).sha).not.toBe(commit);
  });

  it("answers a missing file with EntryNotFound and the commit, and lists sub-folders and pages", async () => {
    const commit = await commitOf();
    for (const method of ["GET", "HEAD"]) {
      const missing = await fetch(resolveUrl(repo, "main", "pytorch_model.bin"), { method, headers: auth(alice) });
      expect(missing.status).toBe(404);
      expect(missing.headers.get("x-error-code")).toBe("EntryNotFound");
      expect(missing.headers.get("x-repo-commit")).toBe(commit);
      expect(pythonError(missing)).toBe("RemoteEntryNotFoundError");
    }

    const folder = await fetch(`${hub()}/api/models/${repo}/tree/main/nested`, { headers: auth(alice) });
    expect((await json<{ type: string; path: string }[]>(folder)).map((e) => [e.type, e.path])).toEqual([["directory", "nested/deeper"]]);
    // huggingface_hub quotes the folder with safe="", so its '/' arrives as %2F.
    const deeper = await fetch(`${hub()}/api/models/${repo}/tree/main/nested%2Fdeeper?expand=true`, { headers: auth(alice) });
    const [entry] = await json<{ path: string; lastCommit: { id: string; title: string; date: string } }[]>(deeper);
    expect(entry.path).toBe("nested/deeper/optimizer.pt");
    expect(entry.lastCommit.id).toBe(commit);
    expect(Number.isNaN(Date.parse(entry.lastCommit.date))).toBe(false);
    const root = await json<{ type: string; path: string }[]>(await fetch(`${hub()}/api/models/${repo}/tree/main`, { headers: auth(alice) }));
    expect(root.map((e) => e.path)).toEqual(["config.json", "empty.txt", "model.safetensors", "nested", "tokenizer"]);
    const notFolder = await fetch(`${hub()}/api/models/${repo}/tree/main/config.json`, { headers: auth(alice) });
    expect(notFolder.status).toBe(404);
    expect(notFolder.headers.get("x-error-code")).toBe("EntryNotFound");

    const paged = await paginate(`${hub()}/api/models/${repo}/tree/main?recursive=true&limit=2`, auth(alice));
    expect(paged.pages).toBe(4);
    expect(paged.items.map((e) => e.path)).toEqual(["config.json", "empty.txt", "model.safetensors", "nested", "nested/deeper", "nested/deeper/optimizer.pt", "tokenizer", "tokenizer/vocab.txt"]);
    const badCursor = await fetch(`${hub()}/api/models/${repo}/tree/main?cursor=nonsense`, { headers: auth(alice) });
    expect(badCursor.status).toBe(400);
    expect((await json<{ error: string }>(badCursor)).error).toBe("The cursor is not valid. Start again from the first page (no cursor).");
  });

  it("keeps private checkpoints to their organization and never tells whether one exists", async () => {
    // No token: 401 RepoNotFound for a private repo and for none at all, word for word the same.
    const anonymous = [await info(repo, "main"), await info(`${slug}/no-such-checkpoint`, "main"), await info("no-such-org/tiny-llm", "main")];
    const anonymousBodies = new Set<string>();
    for (const answer of anonymous) {
      expect(answer.status).toBe(401);
      expect(answer.headers.get("x-error-code")).toBe("RepoNotFound");
      expect(pythonError(answer)).toBe("RepositoryNotFoundError");
      anonymousBodies.add((await json<{ error: string }>(answer)).error.replace(/\S+\/\S+ not found/, "<repo> not found"));
    }
    expect([...anonymousBodies]).toEqual(["Repository <repo> not found, or it is private. Set HF_TOKEN to a Cairn API token of a member of its organization (create one on the Tokens page)."]);
    const anonymousFile = await fetch(resolveUrl(repo, "main", "config.json"), { method: "HEAD" });
    expect(anonymousFile.status).toBe(401);
    expect(anonymousFile.headers.get("x-error-code")).toBe("RepoNotFound");

    // Another organization's token: 404 RepoNotFound, the same as for a name that does not exist.
    const other = await info(repo, "main", auth(bob));
    const none = await info(`${slug}/no-such-checkpoint`, "main", auth(bob));
    for (const answer of [other, none, await fetch(resolveUrl(repo, "main", "config.json"), { headers: auth(bob) }), await fetch(`${hub()}/api/models/${repo}/tree/main`, { headers: auth(bob) })]) {
      expect(answer.status).toBe(404);
      expect(answer.headers.get("x-error-code")).toBe("RepoNotFound");
      expect(pythonError(answer)).toBe("RepositoryNotFoundError");
    }
    expect((await json<{ error: string }>(other)).error.replace(repo, "<repo>")).toBe((await json<{ error: string }>(none)).error.replace(`${slug}/no-such-checkpoint`, "<repo>"));

    // A token that is not valid is a token problem, not a missing repo.
    const wrong = await info(repo, "main", { authorization: "Bearer cairn_not-a-token" });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("x-error-code")).toBeNull();
    expect(wrong.headers.get("x-error-message")).toBe("Invalid credentials in Authorization header");
    expect(pythonError(wrong)).toBe("HfHubHTTPError");
    expect((await json<{ error: string }>(wrong)).error).toMatch(/Create a new one on the Tokens page\. Set HF_TOKEN to a Cairn API token\.$/);
  });

  it("lets any organization read public checkpoints, and nobody without a token unless CAIRN_HF_PUBLIC_READ=true", async () => {
    const saved = process.env.CAIRN_HF_PUBLIC_READ;
    try {
      const byBob = await info(publicRepo, "main", auth(bob));
      expect(byBob.status).toBe(200);
      expect(await json(byBob)).toMatchObject({ id: publicRepo, private: false });

      delete process.env.CAIRN_HF_PUBLIC_READ;
      for (const answer of [await info(publicRepo, "main"), await fetch(resolveUrl(publicRepo, "main", "README.md"))]) {
        expect(answer.status).toBe(401);
        expect(answer.headers.get("x-error-code")).toBe("RepoNotFound");
      }

      process.env.CAIRN_HF_PUBLIC_READ = "true";
      const open = await fetch(resolveUrl(publicRepo, "main", "README.md"));
      expect(open.status).toBe(200);
      expect(await open.text()).toBe("# open\n");
      const listed = await json<{ path: string }[]>(await fetch(`${hub()}/api/models/${publicRepo}/tree/main`));
      expect(listed.map((e) => e.path)).toEqual(["README.md"]);
      // Public read opens public checkpoints only.
      const privateStill = await info(repo, "main");
      expect(privateStill.status).toBe(401);
      expect(privateStill.headers.get("x-error-code")).toBe("RepoNotFound");
    } finally {
      if (saved === undefined) delete process.env.CAIRN_HF_PUBLIC_READ;
      else process.env.CAIRN_HF_PUBLIC_READ = saved;
    }
  });

  it("says a checkpoint that is not ready yet has no revision", async () => {
    const created = await createCheckpoint(alice, "half-uploaded");
    expect(created.status).toBe(201);
    const answer = await info(`${slug}/half-uploaded`, "main", auth(alice));
    expect(answer.status).toBe(404);
    expect(answer.headers.get("x-error-code")).toBe("RevisionNotFound");
    expect((await json<{ error: string }>(answer)).error).toBe(
      `Repository ${slug}/half-uploaded has no revision yet: the checkpoint is still uploading; it can be read once it is ready.`,
    );
  });

  it("lets one Cairn ingest from another through its own Hugging Face source (HF_ENDPOINT)", async () => {
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = hub();
    try {
      // Bob's organization reads Alice's private checkpoint with a token Alice gave it.
      const connection = await call(connectionsRoute.POST, "/api/v1/connections", {
        method: "POST",
        token: bob.token,
        body: { name: "other-cairn", provider: "huggingface", config: {}, secret: { token: alice.token } },
      });
      expect(connection.status, await connection.clone().text()).toBe(201);
      const created = await createCheckpoint(bob, "mirrored", { sourceType: "huggingface", sourceUri: repo, connection: "other-cairn" });
      expect(created.status, await created.clone().text()).toBe(201);
      const id = (await json<CheckpointAnswer>(created)).metadata.id;
      await runIngest(await getDb(), id);
      const mirrored = await getCheckpoint(bob, id);
      expect(mirrored.status.status, mirrored.status.message ?? "").toBe("ready");
      expect(mirrored.status.files).toEqual(paths.map((path) => ({ path, size: files[path].length, sha256: sha256(files[path]) })));
      // Same content, so the mirror's commit is the original's.
      const bobSlug = (await json<{ slug: string }>(await call(currentOrgRoute.GET, "/api/v1/orgs/current", { token: bob.token }))).slug;
      expect((await json<{ sha: string }>(await info(`${bobSlug}/mirrored`, "main", auth(bob)))).sha).toBe(await commitOf());
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });
});
