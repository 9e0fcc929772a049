import "server-only";
import { guardedAgents } from "@/lib/net/agents";
import type { ProbeResult } from "./types";

/**
 * One authenticated GET through the address guard, for adapters' connection probes: 2xx means the
 * credentials work, 401/403 that they were refused, anything else is reported as it came.
 */
export async function probeHttp(url: string, headers: Record<string, string>, what: string): Promise<ProbeResult> {
  const { request } = url.startsWith("https:") ? await import("node:https") : await import("node:http");
  const agent = url.startsWith("https:") ? guardedAgents().https : guardedAgents().http;
  return new Promise((resolve) => {
    const req = request(url, { headers, agent, timeout: 10_000 }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      if (status >= 200 && status < 300) resolve({ ok: true, message: `Connected: ${what} accepted the credentials.` });
      else if (status === 401 || status === 403) resolve({ ok: false, message: `${what} refused the credentials (HTTP ${status}). Check them and save the connection again.` });
      else resolve({ ok: false, message: `${what} answered HTTP ${status}.` });
    });
    req.on("timeout", () => req.destroy(new Error("timed out after 10 s")));
    req.on("error", (error) => resolve({ ok: false, message: `Could not connect: ${error.message}` }));
    req.end();
  });
}
