import {
  checkpointFile,
  checkpointListResponse,
  checkpointLogsResponse,
  checkpointProgress,
  checkpointResponse,
  createCheckpointBody,
  getCheckpointQuery,
  licenseStateResponse,
  listCheckpointsQuery,
  patchCheckpointBody,
} from "@/lib/api/schemas/checkpoints";
import { modelFacts } from "@/lib/model-facts/kinds";
import { bodyComponent, empty, json, responseComponent, type Area } from "./registry";

const ref = { ref: "The checkpoint's id (UUID) or name." };
const read = { kind: "user", permission: "read" } as const;
const write = { kind: "user", permission: "write" } as const;

responseComponent("CheckpointFile", checkpointFile);
responseComponent("CheckpointProgress", checkpointProgress);
responseComponent("ModelFacts", modelFacts);
export const checkpoint = responseComponent("Checkpoint", checkpointResponse);

export const checkpointsArea: Area = {
  tag: "Checkpoints",
  description:
    "Checkpoints: created from a source or uploaded, `ready` once every file is stored, immutable from then on. `{ref}` is an id or a name.",
  operations: [
    {
      id: "listCheckpoints",
      method: "get",
      path: "/api/v1/checkpoints",
      summary: "List checkpoints",
      description: "The organization's checkpoints (and, with `visibility=all` or `public`, the public catalog), filtered and sorted.",
      access: read,
      query: listCheckpointsQuery,
      responses: { 200: json("One page of checkpoints, without their files.", responseComponent("CheckpointList", checkpointListResponse)) },
      errors: [404],
    },
    {
      id: "createCheckpoint",
      method: "post",
      path: "/api/v1/checkpoints",
      summary: "Create a checkpoint",
      description:
        "`local` checkpoints start `uploading` (send files with tus or PUT, then commit); every other source type starts `new` and is ingested in the background. A `sourceUri` that breaks its type's rule is a 422 naming the rule.",
      access: write,
      body: { schema: bodyComponent("CreateCheckpointBody", createCheckpointBody) },
      responses: { 201: json("The checkpoint.", checkpoint) },
      errors: [404, 409, 413],
    },
    {
      id: "getCheckpoint",
      method: "get",
      path: "/api/v1/checkpoints/{ref}",
      summary: "Inspect a checkpoint",
      description: "The checkpoint with its files. `?format=yaml` renders the same object as YAML with human sizes.",
      access: read,
      params: ref,
      query: getCheckpointQuery,
      responses: {
        200: { description: "The checkpoint with `status.files`.", schema: checkpoint, content: { "application/yaml": "With `?format=yaml`: the same object as YAML, sizes in human units." } },
      },
    },
    {
      id: "updateCheckpoint",
      method: "patch",
      path: "/api/v1/checkpoints/{ref}",
      summary: "Rename, publish or pin a checkpoint",
      description: "Only `name`, `visibility` and `pinned` change; any other field is a 422 (content is immutable).",
      access: write,
      params: ref,
      body: { schema: bodyComponent("PatchCheckpointBody", patchCheckpointBody) },
      responses: { 200: json("The checkpoint as it is now.", checkpoint) },
      errors: [409],
    },
    {
      id: "deleteCheckpoint",
      method: "delete",
      path: "/api/v1/checkpoints/{ref}",
      summary: "Delete a checkpoint",
      description: "Refused with 409 and `details.usedBy: [{jobId, jobName, status}]` while a queued or running job uses it.",
      access: write,
      params: ref,
      responses: { 204: empty("Deleted; blobs no other checkpoint shares are freed.") },
      errors: [409],
    },
    {
      id: "cancelCheckpoint",
      method: "post",
      path: "/api/v1/checkpoints/{ref}/cancel",
      summary: "Cancel an ingest",
      description: "Stops a queued, downloading or extracting checkpoint: it ends `failed`, saying who cancelled, and keeps nothing it stored.",
      access: write,
      params: ref,
      responses: { 200: json("The checkpoint, `failed`.", checkpoint) },
      errors: [409],
    },
    {
      id: "commitCheckpoint",
      method: "post",
      path: "/api/v1/checkpoints/{ref}/commit",
      summary: "Seal an uploaded checkpoint",
      description: "Makes an `uploading` checkpoint `ready`; 422 while an upload is unfinished or when it has no file.",
      access: write,
      params: ref,
      responses: { 200: json("The checkpoint, `ready`, with its files.", checkpoint) },
      errors: [409, 422],
    },
    {
      id: "getCheckpointLogs",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/logs",
      summary: "The creation log",
      access: read,
      params: ref,
      responses: { 200: json("Log lines, oldest first.", responseComponent("CheckpointLogs", checkpointLogsResponse)) },
    },
    {
      id: "getCheckpointLicense",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/license",
      summary: "The license to accept before attaching",
      description: "A public checkpoint of another organization that names a license asks each user to accept it once.",
      access: read,
      params: ref,
      responses: { 200: json("The license and whether you accepted it.", responseComponent("LicenseState", licenseStateResponse)) },
    },
    {
      id: "acceptCheckpointLicense",
      method: "post",
      path: "/api/v1/checkpoints/{ref}/license",
      summary: "Accept a checkpoint's license",
      description: "Recorded once per user; 422 when the checkpoint names no license.",
      access: read,
      params: ref,
      responses: { 200: json("The license, accepted.", licenseStateResponse) },
      errors: [422],
    },
  ],
};
