import { z } from "zod";
import { defineConnection, defineSourceSpec, endpointOption, settings, type SourceOptionField } from "../source-spec";

/** A bucket name as S3 allows it, then an optional key or prefix. */
export const S3_PATH = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;

/** Access keys for S3 and every store that speaks its API (R2, MinIO, Ceph, Wasabi). */
export const s3Connection = defineConnection({
  provider: "s3",
  label: "Amazon S3 / compatible",
  config: z.object({ endpoint: settings.url(), region: settings.text(), forcePathStyle: z.boolean().optional() }),
  secret: z.object({
    accessKeyId: settings.required("Enter the access key id"),
    secretAccessKey: settings.required("Enter the secret access key"),
    sessionToken: settings.text(),
  }),
  fields: [
    { group: "secret", key: "accessKeyId", label: "Access key ID", required: true },
    { group: "secret", key: "secretAccessKey", label: "Secret access key", required: true },
    { group: "secret", key: "sessionToken", label: "Session token", hint: "Only for temporary (STS) credentials." },
    { group: "config", key: "endpoint", label: "Endpoint", kind: "url", placeholder: "https://s3.example.com", hint: "Leave empty for AWS. Set it for R2, MinIO, Ceph or Wasabi." },
    { group: "config", key: "region", label: "Region", placeholder: "us-east-1" },
    { group: "config", key: "forcePathStyle", label: "Path-style addressing", kind: "checkbox", hint: "Requests go to endpoint/bucket/key. Most S3-compatible servers need this." },
  ],
});

/** How a folder is listed: ListObjectsV2, falling back to ListObjects (v1) when the store fails it ("auto"), or one of them. */
export const listVersions = ["auto", "2", "1"] as const;
export type ListVersion = (typeof listVersions)[number];

/** The `listVersion` source option, for S3-compatible stores that cannot page ListObjectsV2. */
export const listVersionOption: SourceOptionField = {
  key: "listVersion",
  label: "Listing",
  hint: "How a folder is listed. Automatic uses ListObjectsV2 and switches to ListObjects (v1) when the store fails it.",
  choices: [
    { value: "", label: "Automatic (v2, else v1)" },
    { value: "2", label: "ListObjectsV2 only" },
    { value: "1", label: "ListObjects (v1)" },
  ],
};

export const s3Spec = defineSourceSpec({
  type: "s3",
  label: "Amazon S3",
  description: "S3 or S3-compatible storage: R2, MinIO, Ceph.",
  path: {
    placeholder: "s3://bucket/prefix/",
    rule: "An S3 path begins with s3:// — s3://bucket/prefix/ for a folder, s3://bucket/key for one file.",
    check: (uri) => S3_PATH.test(uri),
  },
  providers: ["s3"],
  connection: s3Connection,
  options: [endpointOption, listVersionOption],
});
