import http from "node:http";
import { beforeAll, describe, expect, it } from "vitest";
import * as files from "@/app/api/v1/checkpoints/[ref]/files/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import { FILE_PATH_RULE } from "@/lib/checkpoints/naming";
import { RAW_FILE_PATH_HEADER } from "@/lib/net/http-server";
import { call, createCheckpoint, json, testDatabases, useApiSuite } from "../helpers/api-suite";

type Answer = { status: number; body: { error?: { code: string; message: string; details?: unknown }; path?: string } };

describe.each(testDatabases)("upload paths with escapes, plain and percent-encoded, on %s", (kind) => {
  const suite = useApiSuite(kind, { users: ["paths"], server: true });
  const { paths: user } = suite.users;
  beforeAll(async () => {
    expect((await createCheckpoint(user, "paths")).status).toBe(201);
  });

  /** A request whose path goes on the wire exactly as given (fetch would resolve `..` first). */
  function raw(method: string, rawPath: string, body = "bytes", headers: Record<string, string> = {}, ref = "paths"): Promise<Answer> {
    const { port } = new URL(suite.server.url);
    return new Promise((resolve, reject) => {
      const request = http.request(
        { host: "127.0.0.1", port, method, path: `/api/v1/checkpoints/${ref}/files/${rawPath}`, headers: { authorization: `Bearer ${user.token}`, "content-length": String(body.length), ...headers } },
        (response) => {
          let text = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (text += chunk));
          response.on("end", () => resolve({ status: response.statusCode ?? 0, body: text ? (JSON.parse(text) as Answer["body"]) : {} }));
        },
      );
      request.on("error", reject);
      request.end(body);
    });
  }

  /** The same PUT in-process, with the path segments as Next.js decodes them. */
  async function plain(segments: string[], ref = "paths"): Promise<Answer> {
    const response = await call(file.PUT, "/x", { method: "PUT", token: user.token, rawBody: "bytes", params: { ref, path: segments } });
    return { status: response.status, body: await json(response) };
  }

  const storedPaths = async (ref = "paths") => {
    const response = await call(files.GET, "/x", { token: user.token, params: { ref } });
    return (await json<{ items: { path: string }[] }>(response)).items.map((f) => f.path);
  };

  // [what goes on the wire, the path it decodes to, that path's segments as Next.js passes them]
  const escapes: [string, string, string[]][] = [
    ["%2e%2e/evil", "../evil", ["..", "evil"]],
    ["%2E%2E/evil", "../evil", ["..", "evil"]],
    [".%2e/evil", "../evil", ["..", "evil"]],
    ["a/%2e%2e/%2e%2e/evil", "a/../../evil", ["a", "..", "..", "evil"]],
    ["../evil", "../evil", ["..", "evil"]],
    ["a/../../evil", "a/../../evil", ["a", "..", "..", "evil"]],
    ["a/%2e/b", "a/./b", ["a", ".", "b"]],
    ["%2Fabs", "/abs", ["/abs"]],
    ["a%5Cb", "a\\b", ["a\\b"]],
    ["a\\b", "a\\b", ["a\\b"]],
    ["%2e%2e%2Fevil", "../evil", ["../evil"]],
  ];

  it.each(escapes)("answers PUT …/files/%s with 422 and the path rule, exactly as in-process", async (wire, decoded, segments) => {
    const overHttp = await raw("PUT", wire);
    expect(overHttp.status).toBe(422);
    expect(overHttp.body.error?.code).toBe("validation_failed");
    expect(overHttp.body.error?.message).toContain(FILE_PATH_RULE);
    expect(overHttp.body.error?.message).toContain(`'${decoded}'`);
    expect(overHttp.body.error?.details).toEqual({ fields: { path: overHttp.body.error?.message } });
    const inProcess = await plain(segments);
    expect(inProcess).toEqual(overHttp);
  });

  it("stores nothing for any of them, and still takes names that only look like escapes", async () => {
    // A checkpoint of its own, so only this test's files are in it.
    expect((await createCheckpoint(user, "paths-stored")).status).toBe(201);
    for (const [wire, , segments] of escapes) {
      expect((await raw("PUT", wire, "bytes", {}, "paths-stored")).status, wire).toBe(422);
      expect((await plain(segments, "paths-stored")).status, wire).toBe(422);
    }
    expect(await storedPaths("paths-stored")).toEqual([]);
    // A file literally named '%2e%2e' is sent with its '%' encoded; it is a name, not an escape.
    const literal = await raw("PUT", "%252e%252e/ok.bin", "bytes", {}, "paths-stored");
    expect(literal.status).toBe(201);
    expect(literal.body.path).toBe("%2e%2e/ok.bin");
    const dots = await raw("PUT", "..hidden/x.bin", "bytes", {}, "paths-stored");
    expect(dots.status).toBe(201);
    expect(dots.body.path).toBe("..hidden/x.bin");
    expect((await storedPaths("paths-stored")).sort()).toEqual(["%2e%2e/ok.bin", "..hidden/x.bin"]);
  });

  it("answers GET …/files/%2e%2e/evil with 422 too, not a lookup of another path", async () => {
    const answer = await raw("GET", "%2e%2e/evil", "");
    expect(answer.status).toBe(422);
    expect(answer.body.error?.message).toContain("'../evil' contains '.' or '..'");
  });

  it("ignores the raw-path header when a client sends it itself", async () => {
    const spoofed = await raw("PUT", "fine.bin", "bytes", { [RAW_FILE_PATH_HEADER]: encodeURIComponent("../evil") });
    expect(spoofed.status).toBe(201);
    expect(spoofed.body.path).toBe("fine.bin");
  });
});
