import { createHash } from "node:crypto";
import { constants, createReadStream } from "node:fs";
import { open, readlink, realpath } from "node:fs/promises";
import http from "node:http";
import https from "node:https";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { inParallel } from "@/lib/async/in-parallel";
import type { AgentCapture, AgentInputFile } from "@/lib/api/schemas/agent";
import { CairnApiError, errorFrom, filePathSegments, seg } from "@/lib/cli/client";
import type { AgentApi } from "./api";
import type { CaptureCandidate, ScannedFile } from "./capture-scan";

/** Files at least this large go up over tus, which resumes a broken upload where it stopped. */
const TUS_MIN_BYTES = 64 * 1024 * 1024;
const PARALLEL_FILES = 4;
/** Waits before the agent's own retries of a failed capture; after the last, it waits for *Retry capture*. */
export const CAPTURE_BACKOFF_MS = [1000, 5000, 15000];

/** `refused`: the server failed the capture itself (the quota cannot hold it), so trying again now would not help. */
export type CaptureOutcome =
  /** `reused`: files the organization already stored, recorded without sending their bytes. */
  | { status: "ready"; name: string; files: AgentInputFile[]; reused: number }
  | { status: "changed" }
  | { status: "failed"; name: string; message: string; refused: boolean };

/** A file of the candidate changed after it was scanned: the job still writes it, a later pass takes it. */
export class ChangedWhileCapturing extends Error {}

/**
 * Opens an output file for reading without following links, and only if it is the regular file
 * the scan saw, inside the output directory: the job may swap a file or a parent for a symlink
 * (to a file only the agent may read) between the scan and the read. Reads then go through
 * `/proc/self/fd/<fd>`, the opened file itself, whatever its path has become since.
 */
export async function openCaptured(file: ScannedFile, outputDir: string): Promise<{ path: string; close(): Promise<void> }> {
  const handle = await open(file.absolute, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: NodeJS.ErrnoException) => {
    throw error.code === "ELOOP" ? new ChangedWhileCapturing(`${file.path} became a link`) : error;
  });
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size !== file.size || info.mtimeMs !== file.mtimeMs) throw new ChangedWhileCapturing(`${file.path} changed while it was captured`);
    const opened = await readlink(`/proc/self/fd/${handle.fd}`);
    if (!opened.startsWith(`${await realpath(outputDir)}${path.sep}`)) throw new ChangedWhileCapturing(`${file.path} leads outside the output directory`);
    return { path: `/proc/self/fd/${handle.fd}`, close: () => handle.close() };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** Each file's SHA-256, read from the file the scan saw (see `openCaptured`), checked unchanged after. */
async function hashAll(files: ScannedFile[], outputDir: string): Promise<AgentInputFile[]> {
  const hashed: AgentInputFile[] = [];
  await inParallel(files, PARALLEL_FILES, async (file) => {
    const opened = await openCaptured(file, outputDir);
    try {
      const hash = createHash("sha256");
      for await (const chunk of createReadStream(opened.path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
      await (await openCaptured(file, outputDir)).close();
      hashed.push({ path: file.path, size: file.size, sha256: hash.digest("hex") });
    } finally {
      await opened.close();
    }
  });
  return hashed.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** `PUT …/files/{path}` of one file, streamed from `source` (an opened file); resolves with what the server stored. */
function put(api: AgentApi, checkpointId: string, file: ScannedFile, source: string): Promise<{ sha256: string; size: number }> {
  const url = new URL(api.client.url(`/checkpoints/${seg(checkpointId)}/files/${filePathSegments(file.path)}`));
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, {
      method: "PUT",
      headers: { authorization: api.client.authorization, "content-length": String(file.size), "content-type": "application/octet-stream" },
    });
    request.once("response", (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.once("end", () => {
        const body = Buffer.concat(chunks);
        if (response.statusCode === 201) resolve(JSON.parse(body.toString("utf8")) as { sha256: string; size: number });
        else errorFrom(new Response(body, { status: response.statusCode ?? 500 })).then(reject, reject);
      });
      response.once("error", reject);
    });
    request.once("error", (error) => reject(new Error(`Could not reach ${api.client.server}: ${error.message}`)));
    pipeline(createReadStream(source, { highWaterMark: 1 << 20 }), request).catch(reject);
  });
}

/**
 * Sends captured files through the upload path: each file is hashed first, and one the
 * organization already stores is only recorded (`offer`); the rest go up with `PUT`, or tus
 * for large ones (resumable from the URL kept in the state directory). The capture is sealed
 * when the server holds exactly these SHA-256s.
 */
export class CaptureUploader {
  constructor(
    private readonly api: AgentApi,
    private readonly stateDir: string,
    private readonly outputDir: string,
  ) {}

  /**
   * One attempt at a candidate. The files are hashed before anything is opened, so a file the job
   * is still writing only delays the capture (`changed`: a later pass takes it); a refusal or an
   * error comes back as `failed` with why.
   */
  async capture(candidate: CaptureCandidate): Promise<CaptureOutcome> {
    let files: AgentInputFile[];
    try {
      files = await hashAll(candidate.files, this.outputDir);
    } catch (error) {
      if (error instanceof ChangedWhileCapturing) return { status: "changed" };
      throw error;
    }
    const opened = await this.api.post<AgentCapture>(
      "/captures",
      { key: candidate.key, path: candidate.path, label: candidate.label, files: files.map(({ path: filePath, size }) => ({ path: filePath, size })) },
      { retry: true },
    );
    if (opened.status === "ready") return { status: "ready", name: opened.name, files: opened.stored, reused: 0 };
    if (opened.status === "failed") return { status: "failed", name: opened.name, message: opened.message ?? "The server refused the capture.", refused: true };
    try {
      const reused = await this.send(opened, candidate.files, files);
      const sealed = await this.api.post<AgentCapture>(`/captures/${opened.id}/commit`, { files }, { retry: true });
      const stored = new Map(sealed.stored.map((f) => [f.path, f.sha256]));
      if (sealed.status !== "ready" || files.some((f) => stored.get(f.path) !== f.sha256)) throw new Error("the server's manifest does not match the files' SHA-256s");
      return { status: "ready", name: sealed.name, files, reused };
    } catch (error) {
      const message = `Capturing ${candidate.path === "." ? "the output directory" : candidate.path} failed: ${error instanceof Error ? error.message : String(error)}`;
      const failed = await this.api.post<AgentCapture>(`/captures/${opened.id}/fail`, { message }, { retry: true });
      return { status: "failed", name: failed.name, message, refused: false };
    }
  }

  /** Sends what the checkpoint lacks; resolves with how many files needed no bytes sent. */
  private async send(capture: AgentCapture, scanned: ScannedFile[], files: AgentInputFile[]): Promise<number> {
    const stored = new Map(capture.stored.map((f) => [f.path, f]));
    const checkpointId = capture.checkpointId;
    if (!checkpointId) throw new Error("the capture has no checkpoint");
    const sha = new Map(files.map((f) => [f.path, f.sha256]));
    let reused = 0;
    await inParallel(scanned, PARALLEL_FILES, async (file) => {
      const sha256 = sha.get(file.path) ?? "";
      if (stored.get(file.path)?.sha256 === sha256) return;
      const offer = await this.api.post<{ stored: boolean }>(`/captures/${capture.id}/files`, { path: file.path, size: file.size, sha256 }, { retry: true });
      if (offer.stored) {
        reused += 1;
        return;
      }
      const opened = await openCaptured(file, this.outputDir);
      try {
        const sent = file.size >= TUS_MIN_BYTES ? await this.tus(checkpointId, file, opened.path, sha256) : await this.putWithRetry(checkpointId, file, opened.path);
        if (sent.sha256 !== sha256 || sent.size !== file.size) throw new Error(`${file.path} changed while it was uploaded`);
      } finally {
        await opened.close();
      }
    });
    return reused;
  }

  /** A PUT again after a dropped connection or a 5xx: the file is re-sent whole (it is small). */
  private async putWithRetry(checkpointId: string, file: ScannedFile, source: string) {
    for (let attempt = 0; ; attempt += 1) {
      try {
        return await put(this.api, checkpointId, file, source);
      } catch (error) {
        const transient = !(error instanceof CairnApiError) || error.status >= 500;
        if (!transient || attempt >= 5) throw error;
        await sleep(500 * 2 ** attempt);
      }
    }
  }

  private async tus(checkpointId: string, file: ScannedFile, source: string, sha256: string) {
    // Loaded only for large files: tus-js-client takes as long to load as the rest of the CLI.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { tusUpload } = require("../cli/tus") as typeof import("../cli/tus");
    await tusUpload(this.api.client, {
      checkpointId,
      // Resumes by the file's own identity (its output path), read through the opened file.
      item: { local: source, path: file.path, size: file.size, mtimeMs: file.mtimeMs },
      fingerprintPath: file.absolute,
      onBytes: () => {},
      onResume: () => {},
      urlStorageFile: path.join(this.stateDir, "tus-uploads.json"),
    });
    return { sha256, size: file.size };
  }
}
