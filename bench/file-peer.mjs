// A static file server as a plain web host is, run as its own process by the ingest benchmark
// (`node bench/file-peer.mjs <file>`, prints {"port":N}): HEAD, GET, single byte ranges, a strong
// ETag and Accept-Ranges, so Cairn may fetch parallel ranges; reads in 1 MiB blocks.
import { createReadStream, statSync } from "node:fs";
import http from "node:http";
import { pipeline } from "node:stream/promises";

const file = process.argv[2];
const { size, mtimeMs } = statSync(file);
const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
const server = http.createServer((req, res) => {
  const match = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
  const start = match ? Number(match[1]) : 0;
  const end = match && match[2] ? Math.min(size - 1, Number(match[2])) : size - 1;
  const ranged = match !== null && (!req.headers["if-range"] || req.headers["if-range"] === etag);
  if (ranged && start > end) {
    res.writeHead(416, { "content-range": `bytes */${size}` }).end();
    return;
  }
  const headers = {
    "content-type": "application/octet-stream",
    "accept-ranges": "bytes",
    etag,
    "content-length": ranged ? end - start + 1 : size,
  };
  if (ranged) headers["content-range"] = `bytes ${start}-${end}/${size}`;
  res.writeHead(ranged ? 206 : 200, headers);
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const body = createReadStream(file, { start: ranged ? start : 0, end: ranged ? end : size - 1, highWaterMark: 1024 * 1024 });
  pipeline(body, res).catch(() => res.destroy());
});
server.listen(0, "127.0.0.1", () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
