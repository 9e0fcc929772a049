import { checkpointFileListResponse, listFilesQuery, storedFileResponse } from "@/lib/api/schemas/checkpoints";
import { archiveQuery, createExportBody, exportListResponse, exportResponse, exportStartedResponse, listExportsQuery } from "@/lib/api/schemas/exports";
import { bodyComponent, empty, json, responseComponent, type Area } from "./registry";

const params = { ref: "The checkpoint's id (UUID) or name.", path: "The file's path inside the checkpoint; its `/` may be sent as they are." };
const read = { kind: "user", permission: "read" } as const;

responseComponent("Export", exportResponse);

const fileHeaders = {
  ETag: 'The file\'s SHA-256 in quotes: `"<sha256>"`.',
  "Content-Length": "The bytes in this answer.",
  "Content-Disposition": "attachment, with the file's name.",
  "Accept-Ranges": "bytes",
};

export const checkpointFilesArea: Area = {
  tag: "Files",
  description: "A checkpoint's files: listed with sizes and SHA-256, read one at a time (with ranges) or all at once as an archive, written while it is uploading, exported to a storage connection.",
  operations: [
    {
      id: "listCheckpointFiles",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/files",
      summary: "List a checkpoint's files",
      access: read,
      params: { ref: params.ref },
      query: listFilesQuery,
      responses: { 200: json("Every file under `prefix`, by path.", responseComponent("CheckpointFileList", checkpointFileListResponse)) },
    },
    {
      id: "downloadCheckpointFile",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/files/{path}",
      summary: "Download one file",
      description: "Public catalog checkpoints can be read too. A job's token reads the checkpoints its job attaches.",
      access: { kind: "user", permission: "read", jobs: true },
      params,
      catchAll: "path",
      headers: { Range: "One range, `bytes=start-end`: answered 206.", "If-None-Match": "The ETag you hold: 304 when it is the file's.", "If-Range": "The ETag the range is for." },
      responses: {
        200: { description: "The file's bytes.", content: { "application/octet-stream": "The file." }, headers: fileHeaders },
        206: { description: "The requested range.", content: { "application/octet-stream": "Part of the file." }, headers: { ...fileHeaders, "Content-Range": "`bytes start-end/size`." } },
        304: empty("The ETag you sent is the file's: keep your copy."),
      },
      errors: [416],
    },
    {
      id: "uploadCheckpointFile",
      method: "put",
      path: "/api/v1/checkpoints/{ref}/files/{path}",
      summary: "Upload one file (raw body)",
      description: "For scripts: the request body is the file. Only while the checkpoint is `uploading`; the same path again replaces it.",
      access: { kind: "user", permission: "write", jobs: true },
      params,
      catchAll: "path",
      body: { contentType: "application/octet-stream", description: "The file's bytes; send Content-Length when you know it." },
      responses: { 201: json("The file as stored.", responseComponent("StoredFile", storedFileResponse)) },
      errors: [409, 413, 422],
    },
    {
      id: "downloadCheckpointArchive",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/archive",
      summary: "Download the whole checkpoint as an archive",
      description: "Streamed as it is read: tar by default, or zip.",
      access: read,
      params: { ref: params.ref },
      query: archiveQuery,
      responses: {
        200: { description: "The archive.", content: { "application/x-tar": "With `format=tar`.", "application/zip": "With `format=zip`." }, headers: { "Content-Disposition": "attachment, named after the checkpoint." } },
      },
      errors: [409],
    },
    {
      id: "exportCheckpoint",
      method: "post",
      path: "/api/v1/checkpoints/{ref}/export",
      summary: "Export to a storage connection",
      description: "Queues a copy of every file to `destinationPath` of an S3, GCS or Azure connection; the checkpoint shows `exporting` until it is done.",
      access: { kind: "user", permission: "write" },
      params: { ref: params.ref },
      body: { schema: bodyComponent("CreateExportBody", createExportBody) },
      responses: { 202: json("The export, queued.", responseComponent("ExportStarted", exportStartedResponse)) },
      errors: [409],
    },
    {
      id: "listCheckpointExports",
      method: "get",
      path: "/api/v1/checkpoints/{ref}/exports",
      summary: "List a checkpoint's exports",
      access: read,
      params: { ref: params.ref },
      query: listExportsQuery,
      responses: { 200: json("Exports, newest first, with status and progress.", responseComponent("ExportList", exportListResponse)) },
    },
  ],
};

