import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApiServer } from "../helpers/api-server";
import { sha256, useApiSuite } from "../helpers/api-suite";

const MiB = 1024 * 1024;
/**
 * The soak: 20 consecutive PUTs of 512 MiB (about two minutes on a 2-core machine beside
 * the disk writer; longer when the machine is busy). `CAIRN_SOAK_PUTS` and `CAIRN_SOAK_MIB` shrink it.
 */
const COUNT = Number(process.env.CAIRN_SOAK_PUTS || 20);
const SIZE = Number(process.env.CAIRN_SOAK_MIB || 512) * MiB;
/** Between two PUTs, as a client does (the next file opened): long enough for its connection to be reused. */
const GAP_MS = 100;

/**
 * Another process writing to the same disk for as long as it runs: 256 MiB files, each flushed,
 * over and over (the page cache and the disk queue the PUTs share with it).
 */
function diskWriter(dir: string): ChildProcess {
  mkdirSync(dir, { recursive: true });
  const script = `
    const fs = require("node:fs");
    const block = Buffer.alloc(4 << 20, 7);
    const file = require("node:path").join(${JSON.stringify(dir)}, "writer.bin");
    for (;;) {
      const fd = fs.openSync(file, "w");
      for (let i = 0; i < 64; i++) fs.writeSync(fd, block);
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      process.stdout.write("flushed\\n");
    }`;
  const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "ignore"] });
  child.stdout?.on("data", (chunk: Buffer) => (flushedByWriter += chunk.toString().split("\n").length - 1));
  return child;
}

/** Files of 256 MiB the writer has written and flushed so far. */
let flushedByWriter = 0;

/** One PUT from Node's fetch: `size` bytes streamed (never held whole), hashed as they go. */
async function put(url: string, token: string, index: number, size: number) {
  const block = randomBytes(MiB);
  const hash = createHash("sha256");
  let sent = 0;
  const body = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (sent >= size) return controller.close();
        const chunk = Buffer.from(block.subarray(0, Math.min(MiB, size - sent)));
        chunk.writeUInt32BE(index, 0);
        chunk.writeUInt32BE(sent / MiB, 4);
        hash.update(chunk);
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    },
    { highWaterMark: 0 },
  );
  const response = await fetch(url, {
    method: "PUT",
    body,
    duplex: "half",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/octet-stream", "content-length": String(size) },
  } as RequestInit);
  const answer = (await response.json()) as { sha256?: string; size?: number };
  return { status: response.status, answer, sha256: hash.digest("hex") };
}

describe("PUT soak: consecutive large uploads from Node's fetch while another process writes to the disk", () => {
  const suite = useApiSuite("pglite", { users: ["soak"], server: true });
  const { soak: user } = suite.users;
  let writer: ChildProcess;

  beforeAll(() => {
    writer = diskWriter(path.join(suite.dataDir, "writer"));
  });
  afterAll(() => {
    writer?.kill("SIGKILL");
  });

  it("keeps a reused connection whose next PUT arrived while the event loop stalled past the idle timeout", async () => {
    // A short idle timeout (Node closes 1 s after it), to stall past it quickly; the server is otherwise as `next start`'s.
    const quick = await startApiServer({ keepAliveTimeoutMs: 2000 });
    let connections = 0;
    quick.server.on("connection", () => (connections += 1));
    const { port } = new URL(quick.url);
    const socket = net.connect(Number(port), "127.0.0.1");
    await once(socket, "connect");
    let received = "";
    socket.setEncoding("latin1");
    socket.on("data", (chunk: string) => (received += chunk));
    const closed = once(socket, "close");
    let gone = false;
    let reset: string | null = null;
    socket.on("close", () => (gone = true));
    // Without the fix the server resets the connection here: ECONNRESET, Node fetch's "fetch failed".
    socket.on("error", (error: NodeJS.ErrnoException) => (reset = error.code ?? error.message));
    // Complete answers so far (the helper answers chunked: each ends with the last chunk).
    const answers = () => received.split(/(?=HTTP\/1\.1 )/).filter((answer) => answer.endsWith("\r\n0\r\n\r\n"));
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 400 && !done() && !gone; i += 1) await new Promise((resolve) => setTimeout(resolve, 25));
    };
    const put = (name: string, body: Buffer) =>
      Buffer.concat([
        Buffer.from(
          `PUT /api/v1/checkpoints/stall/files/${name} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${user.token}\r\n` +
            `content-type: application/octet-stream\r\ncontent-length: ${body.length}\r\n\r\n`,
        ),
        body,
      ]);
    try {
      const created = await fetch(`${quick.url}/api/v1/checkpoints`, {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json", connection: "close" },
        body: JSON.stringify({ name: "stall", sourceType: "local" }),
      });
      expect(created.status).toBe(201);
      await created.text();
      socket.write(put("before.bin", Buffer.from("before")));
      await until(() => answers().length === 1);
      expect(answers()[0]).toMatch(/^HTTP\/1\.1 201/);
      // The connection is idle now, its idle timer running. The next PUT goes out on it, and then
      // (after the poll phase, so nothing reads it) the event loop stalls past the idle timeout.
      const bytes = randomBytes(256 * 1024);
      await new Promise<void>((resolve) =>
        setImmediate(() => {
          socket.write(put("after-stall.bin", bytes));
          const stallUntil = Date.now() + 3500;
          while (Date.now() < stallUntil);
          resolve();
        }),
      );
      await until(() => answers().length === 2);
      expect(reset, "the server reset the connection with the PUT in it").toBeNull();
      expect(gone, "the server closed the connection with the PUT in it").toBe(false);
      expect(answers()[1]).toMatch(/^HTTP\/1\.1 201/);
      expect(answers()[1]).toContain(sha256(bytes));
      // Both PUTs on the one connection (the POST had its own).
      expect(connections).toBe(2);
    } finally {
      socket.destroy();
      await closed;
      await quick.close();
    }
  });

  it(`takes ${COUNT} PUTs of ${SIZE / MiB} MiB in a row with no failure and the right SHA-256s`, { timeout: 60 * 60 * 1000 }, async () => {
    const created = await fetch(`${suite.server.url}/api/v1/checkpoints`, {
      method: "POST",
      headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "soak", sourceType: "local" }),
    });
    expect(created.status).toBe(201);
    await created.text();
    let connections = 0;
    suite.server.server.on("connection", () => (connections += 1));
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; i < COUNT; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, GAP_MS));
      const t0 = Date.now();
      try {
        const result = await put(`${suite.server.url}/api/v1/checkpoints/soak/files/part-${i}.bin`, user.token, i, SIZE);
        if (result.status !== 201 || result.answer.sha256 !== result.sha256 || result.answer.size !== SIZE) {
          failures.push(`#${i}: ${result.status} ${JSON.stringify(result.answer).slice(0, 300)}`);
        }
      } catch (error) {
        const cause = (error as { cause?: { code?: string; message?: string } }).cause;
        failures.push(`#${i}: ${(error as Error).message} (${cause?.code ?? ""} ${cause?.message ?? ""}) after ${Date.now() - t0} ms`);
      }
    }
    console.log(`put-soak: ${COUNT} × ${SIZE / MiB} MiB in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(failures).toEqual([]);
    // The PUTs went out on reused keep-alive connections, the path that dropped them…
    expect(connections).toBeLessThan(COUNT);
    // …while the other process kept the disk busy.
    expect(flushedByWriter).toBeGreaterThan(0);
    console.log(`put-soak: the writer flushed ${flushedByWriter} × 256 MiB meanwhile`);
  });
});
