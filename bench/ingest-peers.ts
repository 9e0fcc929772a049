import { spawn, type ChildProcess } from "node:child_process";
import { mkdir } from "node:fs/promises";
import path from "node:path";

/*
 * What the ingest benchmark reads from: a plain HTTP file server and s3rver on loopback, each in
 * a process of its own, and the files they serve. Cairn and the reference tool (curl, rclone, tar) read the same bytes from
 * the same peer in the same run.
 */

/**
 * A static file server (bench/file-peer.mjs) in a child process, as a real web host is: its own
 * event loop, so the benchmark's polling and sampling never slow what it serves. The file's
 * modification time is part of its ETag: start the server after the file's last change.
 */
export async function startFileServer(root: string, file: string): Promise<{ url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [path.join(root, "bench", "file-peer.mjs"), file], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  const port = await childPort(child, "the file server");
  return { url: `http://127.0.0.1:${port}/${path.basename(file)}`, stop: () => stopChild(child) };
}

/** The port a peer process prints as {"port":N} once it listens. */
function childPort(child: ChildProcess, name: string): Promise<number> {
  let output = "";
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), 30_000);
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
    child.once("exit", (code) => reject(new Error(`${name} exited with ${code}:\n${output}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
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
  const port = await childPort(child, "s3rver");
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => stopChild(child) };
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
