import { createHash } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { CRC32C } from "@google-cloud/storage";

function crc32c(data: Buffer): string {
  const crc = new CRC32C();
  crc.update(data);
  return crc.toString();
}

type StoredObject = { data: Buffer; generation: string; updated: string; md5: string; crc32c: string };

/**
 * A loopback stand-in for Google Cloud Storage's JSON API, speaking exactly the calls
 * @google-cloud/storage makes for listing (`GET /b/<bucket>/o?prefix=&pageToken=&maxResults=`),
 * metadata (`GET /b/<bucket>/o/<name>`) and media downloads (`?alt=media`, with Range). With
 * STORAGE_EMULATOR_HOST the library sends these paths without the `/storage/v1` prefix; both
 * forms are served, and so are bucket metadata (`GET /b/<bucket>`) and multipart uploads
 * (`POST /upload/storage/v1/b/<bucket>/o?uploadType=multipart`). `requests` records each request line (and Range), to assert on what the library sent.
 */
export async function startGcsPeer(options: { defaultPageSize?: number } = {}) {
  const buckets = new Map<string, Map<string, StoredObject>>();
  const requests: string[] = [];
  let generation = 1_700_000_000_000_000;

  const resource = (bucket: string, name: string, object: StoredObject) => ({
    kind: "storage#object",
    id: `${bucket}/${name}/${object.generation}`,
    name,
    bucket,
    generation: object.generation,
    metageneration: "1",
    contentType: "application/octet-stream",
    size: String(object.data.length),
    md5Hash: object.md5,
    crc32c: object.crc32c,
    etag: `CL${object.generation}=`,
    timeCreated: object.updated,
    updated: object.updated,
  });

  const fail = (res: http.ServerResponse, code: number, message: string, reason: string) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: { code, message, errors: [{ message, domain: "global", reason }] } }));
  };

  /** A `multipart/related` upload (metadata JSON, then the bytes), as `createWriteStream({ resumable: false })` sends it. */
  const receiveMultipart = (req: http.IncomingMessage, res: http.ServerResponse, bucketName: string, queryName: string | null) => {
    const bucket = buckets.get(bucketName);
    if (!bucket) return fail(res, 404, "The specified bucket does not exist.", "notFound");
    const boundary = /boundary="?([^";]+)"?/.exec(req.headers["content-type"] ?? "")?.[1];
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const parts: Buffer[] = [];
      const delimiter = Buffer.from(`--${boundary}`);
      for (let at = body.indexOf(delimiter); at !== -1; ) {
        const next = body.indexOf(delimiter, at + delimiter.length);
        if (next === -1) break;
        const part = body.subarray(at + delimiter.length, next);
        const headerEnd = part.indexOf("\r\n\r\n");
        parts.push(part.subarray(headerEnd + 4, part.length - 2));
        at = next;
      }
      const [metaPart, data] = parts;
      if (!boundary || !metaPart || !data) return fail(res, 400, "Malformed multipart upload", "invalid");
      const meta = JSON.parse(metaPart.toString()) as { name?: string };
      const name = queryName ?? meta.name ?? "";
      if (!name) return fail(res, 400, "The object name is missing", "invalid");
      api.put(bucketName, name, Buffer.from(data));
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(resource(bucketName, name, bucket.get(name) as StoredObject)));
    });
  };

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}${req.headers.range ? ` ${req.headers.range}` : ""}`);
    const url = new URL(req.url ?? "/", "http://peer");
    const upload = /^\/upload(?:\/storage\/v1)?\/b\/([^/]+)\/o$/.exec(url.pathname);
    if (req.method === "POST" && upload && url.searchParams.get("uploadType") === "multipart") {
      return receiveMultipart(req, res, decodeURIComponent(upload[1] ?? ""), url.searchParams.get("name"));
    }
    const bucketOnly = /^(?:\/storage\/v1)?\/b\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && bucketOnly) {
      const name = decodeURIComponent(bucketOnly[1] ?? "");
      if (!buckets.has(name)) return fail(res, 404, "The specified bucket does not exist.", "notFound");
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ kind: "storage#bucket", id: name, name }));
      return;
    }
    const route = /^(?:\/download)?(?:\/storage\/v1)?\/b\/([^/]+)\/o(?:\/(.+))?$/.exec(url.pathname);
    if (req.method !== "GET" || !route) return fail(res, 400, `Unsupported request ${req.method} ${url.pathname}`, "invalid");
    const bucketName = decodeURIComponent(route[1] ?? "");
    const bucket = buckets.get(bucketName);
    if (!bucket) return fail(res, 404, "The specified bucket does not exist.", "notFound");

    if (route[2] === undefined) {
      const prefix = url.searchParams.get("prefix") ?? "";
      const pageSize = Number(url.searchParams.get("maxResults") ?? options.defaultPageSize ?? 1000);
      const after = url.searchParams.get("pageToken");
      const names = [...bucket.keys()].filter((n) => n.startsWith(prefix) && (!after || n > Buffer.from(after, "base64url").toString())).sort();
      const page = names.slice(0, pageSize);
      const last = page.at(-1);
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          kind: "storage#objects",
          items: page.map((n) => resource(bucketName, n, bucket.get(n) as StoredObject)),
          ...(names.length > pageSize && last ? { nextPageToken: Buffer.from(last).toString("base64url") } : {}),
        }),
      );
      return;
    }

    const name = decodeURIComponent(route[2]);
    const object = bucket.get(name);
    const wanted = url.searchParams.get("generation");
    if (!object || (wanted && wanted !== object.generation)) return fail(res, 404, `No such object: ${bucketName}/${name}`, "notFound");
    if (url.searchParams.get("alt") !== "media") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(resource(bucketName, name, object)));
      return;
    }
    const meta = resource(bucketName, name, object);
    const headers: http.OutgoingHttpHeaders = {
      "content-type": "application/octet-stream",
      "x-goog-generation": object.generation,
      "x-goog-stored-content-encoding": "identity",
      "x-goog-hash": `crc32c=${meta.crc32c},md5=${meta.md5Hash}`,
      "accept-ranges": "bytes",
    };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? "");
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), object.data.length - 1) : object.data.length - 1;
      res.writeHead(206, { ...headers, "content-range": `bytes ${start}-${end}/${object.data.length}`, "content-length": end - start + 1 });
      res.end(object.data.subarray(start, end + 1));
      return;
    }
    res.writeHead(200, { ...headers, "content-length": object.data.length });
    res.end(object.data);
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const api = {
    /** The value for STORAGE_EMULATOR_HOST. */
    endpoint: `http://127.0.0.1:${port}`,
    port,
    requests,
    createBucket(name: string) {
      if (!buckets.has(name)) buckets.set(name, new Map());
    },
    put(bucket: string, name: string, data: Buffer) {
      this.createBucket(bucket);
      const md5 = createHash("md5").update(data).digest("base64");
      buckets.get(bucket)?.set(name, { data, generation: String(generation++), updated: new Date().toISOString(), md5, crc32c: crc32c(data) });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    /** What an upload stored, for tests that check what a client wrote. */
    get(bucket: string, name: string): Buffer | undefined {
      return buckets.get(bucket)?.get(name)?.data;
    },
  };
  return api;
}
