import { empty, type Area } from "./registry";

const write = { kind: "user", permission: "write", jobs: true } as const;
const id = { id: "The upload's id, the last segment of the Location its creation answered." };
const tusResumable = { "Tus-Resumable": "1.0.0" };

export const uploadsArea: Area = {
  tag: "Uploads",
  description:
    "Resumable uploads into an `uploading` checkpoint with tus 1.0.0 (creation, termination), as Uppy and tus-js-client speak it. `Upload-Metadata` carries `checkpointId` and `path`, the file's `/`-separated path inside the checkpoint. Commit the checkpoint when every upload is done.",
  operations: [
    {
      id: "tusOptions",
      method: "options",
      path: "/api/v1/uploads",
      summary: "tus discovery",
      access: { kind: "public" },
      responses: { 204: empty("The protocol's version, extensions and size limit.", { "Tus-Version": "1.0.0", "Tus-Extension": "creation,termination", "Tus-Max-Size": "The largest upload." }) },
    },
    {
      id: "createUpload",
      method: "post",
      path: "/api/v1/uploads",
      summary: "Create an upload (tus creation)",
      access: write,
      headers: { ...tusResumable, "Upload-Length": "The file's size in bytes.", "Upload-Metadata": "`checkpointId` and `path`, base64, as tus encodes them." },
      responses: { 201: empty("Created; PATCH its bytes to Location.", { Location: "The upload's URL.", ...tusResumable }) },
      errors: [404, 409, 412, 413, 422],
    },
    {
      id: "tusUploadOptions",
      method: "options",
      path: "/api/v1/uploads/{id}",
      summary: "tus discovery, at an upload's URL",
      access: { kind: "public" },
      params: id,
      responses: { 204: empty("As at /api/v1/uploads.") },
    },
    {
      id: "getUploadOffset",
      method: "head",
      path: "/api/v1/uploads/{id}",
      summary: "How much of an upload arrived (tus)",
      access: write,
      params: id,
      headers: tusResumable,
      responses: { 200: empty("The offset to resume from.", { "Upload-Offset": "Bytes stored so far.", "Upload-Length": "The declared size." }) },
      errors: [410, 412],
    },
    {
      id: "appendUpload",
      method: "patch",
      path: "/api/v1/uploads/{id}",
      summary: "Send an upload's bytes (tus)",
      description: "The last PATCH hashes and stores the file in the checkpoint.",
      access: write,
      params: id,
      headers: { ...tusResumable, "Upload-Offset": "Where these bytes start: the offset HEAD answered.", "Content-Type": "application/offset+octet-stream" },
      body: { contentType: "application/offset+octet-stream", description: "The next bytes of the file." },
      responses: { 204: empty("Stored.", { "Upload-Offset": "Bytes stored so far." }) },
      errors: [409, 410, 412, 413, 415, 460],
    },
    {
      id: "deleteUpload",
      method: "delete",
      path: "/api/v1/uploads/{id}",
      summary: "Abandon an upload (tus termination)",
      access: write,
      params: id,
      headers: tusResumable,
      responses: { 204: empty("The upload and its bytes are gone.") },
      errors: [410, 412],
    },
  ],
};
