import { spawn, type ChildProcess } from "node:child_process";
import { createReadStream } from "node:fs";
import { mkdir, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { pipeline } from "node:stream/promises";

/*
 * What the ingest benchmark reads from: a plain HTTP file server and s3rver on loopback, and the
 * files they serve. Cairn and the reference tool (curl, rclone, tar) read the same bytes from
 * the same peer in the same run.
 */

/**
 * A static file server as a plain web host is: HEAD, GET, single byte ranges, a strong ETag and
 * Accept-Ranges, so Cairn may fetch parallel ranges; reads in 1 MiB blocks.
 */
export async function startFileServer(file: string): Promise<{ url: string; stop(): Promise<void> }> {
  const { size, mtimeMs } = await stat(file);
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
    const headers: http.OutgoingHttpHeaders = {
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
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/${path.basename(file)}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const S3_ACCESS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

/**
 * s3rver in a child process (its own event loop, like a real store), serving `directory` with
 * `bucket` configured. The legacy OpenSSL provider is for its DES-encrypted continuation tokens.
 */
export async function startS3rver(root: string, directory: string, bucket: string): Promise<{ endpoint: string; stop(): Promise<void> }> {
  await mkdir(directory, { recursive: true });
  const script = [
    `const S3rver = (await import("s3rver")).default;`,
    `const server = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: ${JSON.stringify(directory)}, configureBuckets: [{ name: ${JSON.stringify(bucket)} }] });`,
    `const { port } = await server.run();`,
    `process.stdout.write(JSON.stringify({ port }) + "\\n");`,
    `process.once("SIGTERM", () => server.close().finally(() => process.exit(0)));`,
  ].join("\n");
  const child: ChildProcess = spawn(process.execPath, ["--openssl-legacy-provider", "--input-type=module", "-e", script], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString("utf8");
      const found = /\{"port":(\d+)\}/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(Number(found[1]));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}:\n${output}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** rclone's settings for the s3rver remote named `bench`, as environment variables (no config file). */
export function rcloneEnv(endpoint: string): NodeJS.ProcessEnv {
  // The caller's AWS_* settings (a CA bundle, a profile) are not the loopback peer's.
  const inherited = Object.entries(process.env).filter(([key]) => !key.startsWith("AWS_") && !key.startsWith("RCLONE_"));
  return {
    ...(Object.fromEntries(inherited) as NodeJS.ProcessEnv),
    RCLONE_CONFIG: "/dev/null",
    RCLONE_CONFIG_BENCH_TYPE: "s3",
    RCLONE_CONFIG_BENCH_PROVIDER: "Other",
    RCLONE_CONFIG_BENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: S3_ACCESS.accessKeyId,
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: S3_ACCESS.secretAccessKey,
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: "true",
    RCLONE_CONFIG_BENCH_REGION: "us-east-1",
  };
}
