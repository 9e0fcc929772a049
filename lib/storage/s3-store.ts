import "server-only";
import { randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCopyCommand,
  type CompletedPart,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { HashingCounter, hashFile } from "./hashing";
import { SHA256_PATTERN, type BlobStore, type ByteRange, type PutOptions, type StoredBlob, type WrittenBlob } from "./types";

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;
const PART_SIZE = 16 * MiB;
const QUEUE_SIZE = 4;
// S3's ceiling for one CopyObject and for each UploadPartCopy part.
const MAX_COPY_BYTES = 5 * GiB;
const MAX_PARTS = 10_000;

export type S3BlobStoreOptions = {
  bucket: string;
  endpoint?: string;
  forcePathStyle: boolean;
  region: string;
  stagingDir: string;
  /** A ready client (tests, custom credentials); otherwise one is built from the SDK's default chain. */
  client?: S3Client;
};

/**
 * Blobs as objects under `blobs/<aa>/<sha256>`. Bytes are streamed to `tmp/<uuid>` while hashed,
 * then copied server-side under the hash, so a crash leaves only `tmp/` objects behind.
 */
export class S3BlobStore implements BlobStore {
  readonly kind = "s3" as const;
  readonly id: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly stagingDir: string;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.id = `s3:${options.bucket}`;
    this.stagingDir = options.stagingDir;
    this.client =
      options.client ??
      new S3Client({
        region: options.region,
        endpoint: options.endpoint,
        forcePathStyle: options.forcePathStyle,
        // Many S3-compatible servers reject the checksum headers this SDK sends by default
        // (aws/aws-sdk-js-v3#6810); AWS itself keeps them.
        ...(options.endpoint && {
          requestChecksumCalculation: "WHEN_REQUIRED",
          responseChecksumValidation: "WHEN_REQUIRED",
        }),
      });
  }

  /** A local file to stage bytes in before `putFile`; S3 has no rename, so any local disk will do. */
  async tempPath(): Promise<string> {
    await mkdir(this.stagingDir, { recursive: true });
    return path.join(this.stagingDir, randomUUID());
  }

  async put(source: Readable | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<StoredBlob> {
    const { blob, durable } = await this.write(source, opts);
    await durable;
    return blob;
  }

  /** Uploads under a temp key while hashing; `durable` copies it under its hash (S3 has no rename). */
  async write(source: Readable | AsyncIterable<Uint8Array>, opts: PutOptions = {}): Promise<WrittenBlob> {
    const temp = `tmp/${randomUUID()}`;
    const counter = new HashingCounter(opts.maxBytes, opts.onBytes);
    const upload = this.upload(temp, counter);
    const uploading = upload.done();
    const feeding = pipeline(source instanceof Readable ? source : Readable.from(source), counter);
    try {
      await Promise.all([feeding, uploading]);
    } catch (error) {
      // An upload that gave up stops reading; destroying the counter keeps the feed from waiting forever.
      counter.destroy(error instanceof Error ? error : new Error(String(error)));
      // A failed feed (BlobTooLargeError, a broken source) is the cause; the upload's error is its echo.
      const cause = await feeding.then(() => error, (feedError: unknown) => feedError);
      await uploading.catch(() => undefined);
      await this.abandon(temp, upload.uploadId);
      throw cause;
    }
    const blob = { sha256: counter.digest(), size: counter.bytes };
    const durable = (async () => {
      try {
        if (!(await this.has(blob.sha256))) await this.copy(temp, this.key(blob.sha256), blob.size);
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: temp }));
      } catch (error) {
        await this.abandon(temp);
        throw error;
      }
    })();
    return { blob, durable };
  }

  async putFile(filePath: string, opts: { sha256?: string } = {}): Promise<StoredBlob> {
    const { sha256, size } = opts.sha256
      ? { sha256: opts.sha256, size: (await stat(filePath)).size }
      : await hashFile(filePath);
    const key = this.key(sha256);
    if (!(await this.has(sha256))) {
      const body = createReadStream(filePath, { highWaterMark: MiB });
      try {
        await this.upload(key, body, size).done();
      } finally {
        body.destroy();
      }
    }
    await unlink(filePath);
    return { sha256, size };
  }

  async has(sha256: string): Promise<boolean> {
    // Nothing can be stored under a non-hash, as with the filesystem driver.
    if (!SHA256_PATTERN.test(sha256)) return false;
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }));
      return true;
    } catch (error) {
      if (error instanceof S3ServiceException && error.$metadata.httpStatusCode === 404) return false;
      throw error;
    }
  }

  async get(sha256: string, range?: ByteRange): Promise<Readable> {
    const { Body } = await this.client.send(
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key(sha256),
        Range: range ? `bytes=${range.start}-${range.end}` : undefined,
      }),
    );
    if (!(Body instanceof Readable)) throw new Error(`S3 returned no readable body for ${sha256}`);
    return Body;
  }

  async delete(sha256: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(sha256) }));
  }

  private key(sha256: string): string {
    if (!SHA256_PATTERN.test(sha256)) throw new Error(`not a sha256: ${sha256}`);
    return `blobs/${sha256.slice(0, 2)}/${sha256}`;
  }

  private upload(key: string, body: Readable, contentLength?: number): Upload {
    return new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: body, ContentLength: contentLength },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
    });
  }

  /**
   * Best-effort cleanup after a failure, so the caller sees the original error. lib-storage
   * aborts its own multipart upload, but that call can fail too; a repeat is harmless.
   */
  private async abandon(temp: string, uploadId?: string): Promise<void> {
    const Bucket = this.bucket;
    if (uploadId) {
      await this.client
        .send(new AbortMultipartUploadCommand({ Bucket, Key: temp, UploadId: uploadId }))
        .catch(() => undefined);
    }
    await this.client.send(new DeleteObjectCommand({ Bucket, Key: temp })).catch(() => undefined);
  }

  /** Server-side copy; past CopyObject's 5 GiB limit in parts, which appear as an object only when complete. */
  private async copy(from: string, Key: string, size: number): Promise<void> {
    const Bucket = this.bucket;
    const CopySource = `${Bucket}/${from}`;
    if (size <= MAX_COPY_BYTES) {
      await this.client.send(new CopyObjectCommand({ Bucket, Key, CopySource }));
      return;
    }
    const partSize = Math.min(MAX_COPY_BYTES, Math.max(GiB, Math.ceil(size / MAX_PARTS)));
    const partCount = Math.ceil(size / partSize);
    const { UploadId } = await this.client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
    const parts: CompletedPart[] = [];
    const failures: unknown[] = [];
    let next = 0;
    const copyParts = async (): Promise<void> => {
      for (let index = next++; index < partCount; index = next++) {
        const start = index * partSize;
        const CopySourceRange = `bytes=${start}-${Math.min(size, start + partSize) - 1}`;
        const PartNumber = index + 1;
        try {
          const { CopyPartResult } = await this.client.send(
            new UploadPartCopyCommand({ Bucket, Key, UploadId, PartNumber, CopySource, CopySourceRange }),
          );
          parts[index] = { PartNumber, ETag: CopyPartResult?.ETag };
        } catch (error) {
          failures.push(error);
          next = partCount;
        }
      }
    };
    try {
      // Every copier settles before any abort, so no part lands on an upload already given up.
      await Promise.all(Array.from({ length: QUEUE_SIZE }, copyParts));
      if (failures.length > 0) throw failures[0];
      await this.client.send(
        new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts: parts } }),
      );
    } catch (error) {
      await this.client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => undefined);
      throw error;
    }
  }
}
