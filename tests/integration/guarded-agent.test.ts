import { randomBytes } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GuardedHttpAgent } from "@/lib/net/agents";
import { ALLOW_ENV } from "@/lib/net/guard";
import { sha256 } from "../helpers/files";

/*
 * The guarded http agent reads every socket into one reused buffer. These tests hold on to every
 * chunk an answer hands out and only hash them at the end, so a chunk that still pointed into
 * that buffer would be overwritten by later reads and the hash would not match.
 */

const body = randomBytes(8 * 1024 * 1024 + 12345);
const originalAllow = process.env[ALLOW_ENV];
let server: http.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  process.env[ALLOW_ENV] = "127.0.0.1/32";
  server = http.createServer((_req, res) => {
    res.writeHead(200, { "content-length": body.length });
    let offset = 0;
    const write = () => {
      while (offset < body.length) {
        const end = Math.min(body.length, offset + 1024 * 1024);
        const more = res.write(body.subarray(offset, end));
        offset = end;
        if (!more) return void res.once("drain", write);
      }
      res.end();
    };
    write();
  });
  server.on("connection", () => connections++);
  port = await new Promise<number>((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  if (originalAllow === undefined) delete process.env[ALLOW_ENV];
  else process.env[ALLOW_ENV] = originalAllow;
});

/** GETs the body, keeping every chunk and pausing the answer now and then like a slow writer. */
function download(agent: http.Agent): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path: "/", agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => {
        chunks.push(chunk);
        if (chunks.length % 20 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 2);
        }
      });
      res.on("end", () => resolve(chunks));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

describe("GuardedHttpAgent reads", () => {
  it("hands out chunks that stay intact after later reads, across answers on one kept-alive socket", async () => {
    const agent = new GuardedHttpAgent({ maxSockets: 1 });
    try {
      const before = connections;
      const answers: Buffer[][] = [];
      for (let i = 0; i < 3; i++) answers.push(await download(agent));
      expect(connections - before).toBe(1);
      for (const chunks of answers) {
        expect(chunks.length).toBeGreaterThan(1);
        expect(sha256(Buffer.concat(chunks))).toBe(sha256(body));
      }
    } finally {
      agent.destroy();
    }
  });
});
