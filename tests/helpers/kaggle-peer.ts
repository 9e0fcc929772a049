import http from "node:http";
import type { AddressInfo } from "node:net";

export type KaggleRequest = { server: "api" | "storage"; url: string; authorization?: string };

type Fixtures = {
  username: string;
  key: string;
  datasets: Record<string, Buffer>;
  competitions: Record<string, Buffer>;
  /** Output files per kernel (`owner/slug`), served two per page. */
  kernels: Record<string, Record<string, Buffer>>;
};

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port)));
}

function json(res: http.ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/**
 * Kaggle's v1 API on loopback as the official CLI uses it: HTTP Basic on every call, dataset and
 * competition downloads answered with a 302 to signed storage URLs on another origin, and kernel
 * output listed as JSON whose file URLs point at that storage.
 */
export async function startKagglePeer(fixtures: Fixtures) {
  const requests: KaggleRequest[] = [];
  const stored = new Map<string, Buffer>();
  let apiPort = 0;
  let storagePort = 0;
  const expected = `Basic ${Buffer.from(`${fixtures.username}:${fixtures.key}`).toString("base64")}`;
  const storageUrl = (key: string, data: Buffer) => {
    stored.set(key, data);
    return `http://127.0.0.1:${storagePort}/${key}?X-Goog-Signature=abc`;
  };

  const api = http.createServer((req, res) => {
    requests.push({ server: "api", url: req.url ?? "", authorization: req.headers.authorization });
    if (req.headers.authorization !== expected) return json(res, 401, { code: 401, message: "Unauthenticated" });
    const url = new URL(req.url ?? "/", `http://127.0.0.1:${apiPort}`);
    const dataset = url.pathname.match(/^\/api\/v1\/datasets\/download\/([^/]+\/[^/]+)$/)?.[1];
    const competition = url.pathname.match(/^\/api\/v1\/competitions\/data\/download-all\/([^/]+)$/)?.[1];
    if (dataset || competition) {
      const data = dataset ? fixtures.datasets[dataset] : fixtures.competitions[competition ?? ""];
      if (!data) return json(res, 404, { code: 404, message: "Not found" });
      res.writeHead(302, { location: storageUrl(`zips/${dataset ?? competition}.zip`, data) });
      return res.end();
    }
    if (url.pathname === "/api/v1/kernels/output") {
      const kernel = fixtures.kernels[`${url.searchParams.get("userName")}/${url.searchParams.get("kernelSlug")}`];
      if (!kernel) return json(res, 404, { code: 404, message: "Kernel not found" });
      const names = Object.keys(kernel);
      const start = Number(url.searchParams.get("pageToken") ?? 0);
      const files = names.slice(start, start + 2).map((fileName) => ({ fileName, url: storageUrl(`out/${start}/${fileName}`, kernel[fileName]) }));
      return json(res, 200, { files, log: "[]", nextPageToken: start + 2 < names.length ? String(start + 2) : "" });
    }
    json(res, 404, { code: 404, message: "Not found" });
  });

  const storage = http.createServer((req, res) => {
    requests.push({ server: "storage", url: req.url ?? "", authorization: req.headers.authorization });
    const data = stored.get(decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname.slice(1)));
    if (!data || req.headers.authorization) return json(res, data ? 400 : 404, { error: "bad request" });
    res.writeHead(200, { "content-length": data.length, "content-type": "application/zip" });
    res.end(data);
  });

  apiPort = await listen(api);
  storagePort = await listen(storage);
  return {
    baseUrl: `http://127.0.0.1:${apiPort}/api/v1`,
    requests,
    async stop() {
      api.closeAllConnections();
      storage.closeAllConnections();
      await Promise.all([new Promise((r) => api.close(r)), new Promise((r) => storage.close(r))]);
    },
  };
}
