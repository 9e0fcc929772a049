import { ListBucketsCommand, S3Client } from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { guardedAgents } from "@/lib/net/agents";
import type { SourceConnection } from "@/lib/sources/types";

export type ProbeResult = { ok: boolean; message: string };

async function probeS3(connection: SourceConnection): Promise<ProbeResult> {
  const config = connection.config as { endpoint?: string; region?: string; forcePathStyle?: boolean };
  const client = new S3Client({
    endpoint: config.endpoint,
    region: config.region || "us-east-1",
    forcePathStyle: config.forcePathStyle ?? Boolean(config.endpoint),
    credentials: {
      accessKeyId: connection.secret.accessKeyId ?? "",
      secretAccessKey: connection.secret.secretAccessKey ?? "",
      sessionToken: connection.secret.sessionToken,
    },
    maxAttempts: 2,
    requestHandler: new NodeHttpHandler({ httpAgent: guardedAgents().http, httpsAgent: guardedAgents().https, connectionTimeout: 5000 }),
  });
  try {
    const listed = await client.send(new ListBucketsCommand({}));
    return { ok: true, message: `Connected: the credentials see ${listed.Buckets?.length ?? 0} bucket(s).` };
  } catch (error) {
    const name = (error as { name?: string }).name ?? "";
    if (name === "AccessDenied") {
      return { ok: true, message: "Connected: the credentials are valid but may not list buckets; access is checked per path." };
    }
    return { ok: false, message: `Could not connect: ${(error as Error).message}` };
  } finally {
    client.destroy();
  }
}

async function probeHttp(url: string, headers: Record<string, string>, what: string): Promise<ProbeResult> {
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

/** A cheap authenticated call per provider, so users learn about bad credentials before an ingest fails. */
export async function probeConnection(connection: SourceConnection): Promise<ProbeResult> {
  const config = connection.config as Record<string, string | undefined>;
  switch (connection.provider) {
    case "s3":
      return probeS3(connection);
    case "huggingface": {
      const hub = config.endpoint || process.env.HF_ENDPOINT || "https://huggingface.co";
      return probeHttp(`${hub.replace(/\/$/, "")}/api/whoami-v2`, { authorization: `Bearer ${connection.secret.token}` }, "Hugging Face");
    }
    case "kaggle": {
      const base = config.baseUrl || process.env.KAGGLE_API_BASE_URL || "https://www.kaggle.com/api/v1";
      const basic = Buffer.from(`${config.username ?? ""}:${connection.secret.key ?? ""}`).toString("base64");
      return probeHttp(`${base.replace(/\/$/, "")}/datasets/list?page=1`, { authorization: `Basic ${basic}` }, "Kaggle");
    }
    default:
      return { ok: true, message: `Saved. ${connection.provider} credentials are checked when a checkpoint first uses them.` };
  }
}
