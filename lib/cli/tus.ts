import { createReadStream } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { Upload } from "tus-js-client";
import type { ApiClient } from "./client";
import { CliError, configDir } from "./config";
import type { UploadItem } from "./push";

type PreviousUpload = Awaited<ReturnType<Upload["findPreviousUploads"]>>[number];
type Stored = Omit<PreviousUpload, "urlStorageKey">;

/**
 * tus upload URLs kept in a JSON file in the config directory, so a push that was interrupted
 * resumes where it stopped when run again. Writes are serialised within the process.
 */
export class FileUrlStorage {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {}

  private async read(): Promise<Record<string, Stored>> {
    try {
      return JSON.parse(await readFile(this.file, "utf8")) as Record<string, Stored>;
    } catch {
      return {};
    }
  }

  private change<T>(edit: (data: Record<string, Stored>) => T): Promise<T> {
    const run = this.queue.then(async () => {
      const data = await this.read();
      const result = edit(data);
      await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, JSON.stringify(data), { mode: 0o600 });
      await rename(temp, this.file);
      return result;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async matching(prefix: string): Promise<PreviousUpload[]> {
    await this.queue;
    const data = await this.read();
    return Object.entries(data)
      .filter(([key]) => key.startsWith(prefix))
      .map(([key, value]) => ({ ...value, urlStorageKey: key }));
  }

  findAllUploads(): Promise<PreviousUpload[]> {
    return this.matching("tus::");
  }

  findUploadsByFingerprint(fingerprint: string): Promise<PreviousUpload[]> {
    return this.matching(`tus::${fingerprint}::`);
  }

  async removeUpload(key: string): Promise<void> {
    await this.change((data) => {
      delete data[key];
    });
  }

  addUpload(fingerprint: string, upload: PreviousUpload): Promise<string> {
    const key = `tus::${fingerprint}::${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
    const { urlStorageKey: _ignored, ...stored } = upload;
    return this.change((data) => {
      data[key] = stored;
      return key;
    });
  }
}

let storage: FileUrlStorage | undefined;
const urlStorage = () => (storage ??= new FileUrlStorage(path.join(configDir(), "uploads.json")));
function storageAt(file: string): FileUrlStorage {
  let found = storages.get(file);
  if (!found) {
    found = new FileUrlStorage(file);
    storages.set(file, found);
  }
  return found;
}

type TusJob = {
  checkpointId: string;
  item: UploadItem;
  onBytes(bytes: number): void;
  onResume(offset: number): void;
  /** Where upload URLs are kept for resuming (default: the CLI's config directory). */
  urlStorageFile?: string;
  /** The path that identifies the file for resuming, when `item.local` is only how it is read. */
  fingerprintPath?: string;
};

const storages = new Map<string, FileUrlStorage>();

/** One file over tus 1.0.0; resumes a stored upload of the same file to the same checkpoint. */
export function tusUpload(client: ApiClient, { checkpointId, item, onBytes, onResume, urlStorageFile, fingerprintPath }: TusJob): Promise<void> {
  const fingerprint = [client.server, checkpointId, item.path, path.resolve(fingerprintPath ?? item.local), item.size, Math.round(item.mtimeMs)].join("|");
  return new Promise<void>((resolve, reject) => {
    let reported = 0;
    // The typings list browser inputs only; in Node a ReadStream with a path is read by range.
    const upload = new Upload(createReadStream(item.local) as unknown as Buffer, {
      endpoint: `${client.server}/api/v1/uploads`,
      headers: { authorization: client.authorization },
      metadata: { checkpointId, path: item.path, filename: path.basename(item.path) },
      uploadSize: item.size,
      fingerprint: async () => fingerprint,
      urlStorage: urlStorageFile ? storageAt(urlStorageFile) : urlStorage(),
      storeFingerprintForResuming: true,
      removeFingerprintOnSuccess: true,
      retryDelays: [0, 1000, 3000, 5000],
      onAfterResponse: (request, response) => {
        const offset = Number(response.getHeader("Upload-Offset"));
        if (request.getMethod() === "HEAD" && offset > 0) onResume(offset);
      },
      onProgress: (sent) => {
        if (sent > reported) onBytes(sent - reported);
        reported = Math.max(reported, sent);
      },
      onSuccess: () => resolve(),
      onError: (error) => {
        const body = "originalResponse" in error ? error.originalResponse?.getBody() : undefined;
        let message = error.message;
        try {
          const parsed = JSON.parse(body ?? "") as { error?: { message?: string } };
          if (parsed.error?.message) message = parsed.error.message;
        } catch {}
        reject(new CliError(`Upload of ${item.path} failed: ${message}`));
      },
    });
    upload
      .findPreviousUploads()
      .then((previous) => {
        if (previous.length > 0) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      })
      .catch(reject);
  });
}
