import { spawn } from "node:child_process";
import path from "node:path";

/**
 * s3rver (tests/helpers/s3.ts) in a process of its own, so serving thousands of objects does not
 * compete with the code under test for this process's event loop. `legacyOpenSsl` turns on
 * OpenSSL's legacy provider, without which s3rver cannot encrypt ListObjectsV2 continuation
 * tokens (DES) and answers InternalError for any listing longer than a page — as it does for a
 * new user under Node 17 or later.
 */
export async function startS3rverProcess(buckets: string[], opts: { legacyOpenSsl?: boolean } = {}) {
  const helper = path.resolve(import.meta.dirname, "s3.ts");
  const script = [
    // tsx loads the helper as CommonJS (the package is not "type": "module").
    `const helper = await import(${JSON.stringify(helper)});`,
    `const server = await (helper.startS3rver ?? helper.default.startS3rver)(${JSON.stringify(buckets)});`,
    `process.stdout.write(JSON.stringify({ endpoint: server.endpoint }) + "\\n");`,
    `process.once("SIGTERM", () => server.stop().finally(() => process.exit(0)));`,
  ].join("\n");
  const flags = opts.legacyOpenSsl ? ["--openssl-legacy-provider"] : [];
  const child = spawn(process.execPath, [...flags, "--import", "tsx", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`s3rver did not start:\n${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /\{"endpoint":"([^"]+)"\}/.exec(output);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => reject(new Error(`s3rver exited with ${code}:\n${output}`)));
  });
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}
