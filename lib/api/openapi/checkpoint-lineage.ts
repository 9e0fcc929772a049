import { checkpointDiffResponse, diffQuery } from "@/lib/api/schemas/checkpoints";
import { deriveCheckpointBody, derivePreviewBody, derivePreviewResponse } from "@/lib/api/schemas/derive";
import { lineageQuery, lineageResponse } from "@/lib/api/schemas/lineage";
import { checkpoint } from "./checkpoints";
import { bodyComponent, json, responseComponent, type Area } from "./registry";

const ref = { ref: "The checkpoint's id (UUID) or name." };
const read = { kind: "user", permission: "read" } as const;

export const lineage = responseComponent("Lineage", lineageResponse);

export const checkpointLineageArea: Area = {
  tag: "Lineage",
  description: "How checkpoints relate: what differs between two, a new checkpoint made of some of another's files, and the graph of jobs and checkpoints around one.",
  operations: [
    {
      id: "diffCheckpoints",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/diff/{other}",
      summary: "Compare two checkpoints",
      description:
        "Files by SHA-256 and tensors by shape, dtype and per-tensor digest. `computing` while digests are being read: ask again, or send `?wait=` to have the answer held until they are in.",
      access: read,
      params: { ...ref, other: "The checkpoint to compare with: id or name." },
      query: diffQuery,
      responses: { 200: json("What differs.", responseComponent("CheckpointDiff", checkpointDiffResponse)) },
      errors: [409],
    },
    {
      id: "deriveCheckpoint",
      method: "post",
      path: "/api/v1/checkpoints/{ref}/derive",
      summary: "Derive a checkpoint from some of this one's files",
      description: "A new `ready` checkpoint, source type `derived`, sharing the blobs (no bytes copied). `preset: weights-only` keeps the model and drops training state.",
      access: { kind: "user", permission: "write" },
      params: ref,
      body: { schema: bodyComponent("DeriveCheckpointBody", deriveCheckpointBody) },
      responses: { 201: json("The derived checkpoint.", checkpoint) },
      errors: [409, 413],
    },
    {
      id: "previewDerive",
      method: "post",
      path: "/api/v1/checkpoints/{ref}/derive/preview",
      summary: "Preview a derive",
      description: "What the same body would keep and drop, and why; nothing is created.",
      access: read,
      params: ref,
      body: { schema: bodyComponent("DerivePreviewBody", derivePreviewBody) },
      responses: { 200: json("The files kept and dropped.", responseComponent("DerivePreview", derivePreviewResponse)) },
      errors: [409],
    },
    {
      id: "getCheckpointLineage",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/lineage",
      summary: "The jobs and checkpoints around a checkpoint",
      access: read,
      params: ref,
      query: lineageQuery,
      responses: { 200: json("Nodes and edges, `depth` steps out.", lineage) },
    },
  ],
};
