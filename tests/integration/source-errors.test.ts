import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as logs from "@/app/api/v1/checkpoints/[ref]/logs/route";
import { getDb } from "@/lib/db/client";
import { runIngest } from "@/lib/ingest/run";
import { huggingfaceSource } from "@/lib/sources/huggingface/adapter";
import { PermanentSourceError } from "@/lib/sources/types";
import { call, createCheckpoint, getCheckpoint, json, sha256 as sha, testDatabases, useApiSuite, type CheckpointAnswer } from "../helpers/api-suite";
import { startHfPeer, type HubFile } from "../helpers/hf-peer";

/** Source errors that say what happened: which revision and commit, which bytes. */
describe.each(testDatabases)("source errors on %s", (kind) => {
  let peer: Awaited<ReturnType<typeof startHfPeer>>;
  const gone = "0123456789abcdef0123456789abcdef01234567";
  const weights = randomBytes(200_000);
  // The Hub vouches for a SHA-256 the bytes it serves never have (a broken upload, a lying mirror).
  const lying: HubFile = { path: "model.safetensors", content: weights, lfs: true, vouched: sha(Buffer.from("other bytes")) };
  // Damaged once on the way, intact the second time.
  const flaky: HubFile = { path: "model.safetensors", content: weights, lfs: true, damaged: 1 };

  beforeAll(async () => {
    peer = await startHfPeer({
      "acme/moved": { branches: { main: [{ path: "README.md", content: Buffer.from("# moved\n") }] }, moved: { main: gone } },
      "acme/lying": { branches: { main: [{ path: "README.md", content: Buffer.from("# lying\n") }, lying] } },
      "acme/flaky": { branches: { main: [flaky] } },
    });
  });
  afterAll(() => peer.stop());
  const suite = useApiSuite(kind, { users: ["errors"], env: () => ({ HF_ENDPOINT: peer.endpoint, CAIRN_ALLOW_PRIVATE_SOURCES: "127.0.0.1/32" }) });
  const { errors: user } = suite.users;

  const ingest = async (name: string, sourceUri: string) => {
    const created = await createCheckpoint(user, name, { sourceType: "huggingface", sourceUri });
    expect(created.status).toBe(201);
    const id = (await json<CheckpointAnswer>(created)).metadata.id;
    const started = Date.now();
    await runIngest(await getDb(), id);
    const row = await getCheckpoint(user, id);
    const log = await json<{ items: { level: string; message: string }[] }>(await call(logs.GET, "/x", { token: user.token, params: { ref: id } }));
    return { row, log: log.items, seconds: (Date.now() - started) / 1000 };
  };

  it("names the revision and the commit it resolved to when that commit then cannot be found", async () => {
    const context = { uri: "acme/moved", options: {}, connection: null, scratchDir: "/nonexistent", signal: new AbortController().signal, log: async () => {} };
    const error = await huggingfaceSource.list(context).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(PermanentSourceError);
    expect((error as PermanentSourceError).reason).toBe("not_found");
    expect((error as Error).message).toBe(
      `Revision 'main' of the Hugging Face repo acme/moved resolved to commit ${gone}, but the Hub then found no commit ${gone} (HTTP 404): the branch may have moved or the commit been removed. Try again, or give a revision that exists.`,
    );
  });

  it("fails the checkpoint at once when a file arrives twice with the same wrong SHA-256", async () => {
    const { row, log, seconds } = await ingest("lying", "acme/lying");
    expect(row.status.status).toBe("failed");
    expect(row.status.message).toBe(
      `model.safetensors arrived corrupted: its SHA-256 is ${sha(weights)}, the source says ${lying.vouched}. ` +
        "It arrived with that SHA-256 twice: the source holds other bytes than it vouches for, and no retry will change them. Fix the file at the source.",
    );
    expect(row.status.fileCount).toBe(0);
    // Downloaded twice within the one attempt, then failed: no "Retrying after", no waiting for the queue.
    expect(peer.downloadsOf(lying)).toBe(2);
    expect(log.map((l) => l.message).join("\n")).not.toMatch(/will retry|Retrying after/);
    expect(log.filter((l) => l.level === "warn").map((l) => l.message)).toEqual([
      `model.safetensors arrived corrupted (SHA-256 ${sha(weights)}, the source says ${lying.vouched}); downloading it again.`,
    ]);
    expect(seconds).toBeLessThan(30);
  });

  it("keeps a file damaged on the way once: the second download is checked and stored", async () => {
    const { row, log } = await ingest("flaky", "acme/flaky");
    expect(row.status.status).toBe("ready");
    expect(row.status.files).toEqual([{ path: "model.safetensors", size: weights.length, sha256: sha(weights) }]);
    expect(peer.downloadsOf(flaky)).toBe(2);
    expect(log.some((l) => l.level === "warn" && l.message.includes("downloading it again"))).toBe(true);
  });
});
