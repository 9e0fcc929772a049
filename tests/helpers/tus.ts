import * as uploads from "@/app/api/v1/uploads/[[...id]]/route";
import { call } from "./api";

const meta = (fields: Record<string, string>) =>
  Object.entries(fields)
    .map(([key, value]) => `${key} ${Buffer.from(value).toString("base64")}`)
    .join(",");

/** Raw tus 1.0 requests against the uploads route, as tus clients send them. */
export const tus = {
  create(token: string, fields: Record<string, string>, length?: number, headers: Record<string, string> = {}) {
    return call(uploads.POST, "/api/v1/uploads", {
      method: "POST",
      token,
      headers: {
        "tus-resumable": "1.0.0",
        "upload-metadata": meta(fields),
        ...(length === undefined ? { "upload-defer-length": "1" } : { "upload-length": String(length) }),
        ...headers,
      },
    });
  },
  patch(token: string, id: string, offset: number, body: BodyInit, headers: Record<string, string> = {}) {
    return call(uploads.PATCH, `/api/v1/uploads/${id}`, {
      method: "PATCH",
      token,
      rawBody: body,
      params: { id: [id] },
      headers: { "tus-resumable": "1.0.0", "upload-offset": String(offset), "content-type": "application/offset+octet-stream", ...headers },
    });
  },
  head(token: string, id: string) {
    return call(uploads.HEAD, `/api/v1/uploads/${id}`, { method: "HEAD", token, params: { id: [id] }, headers: { "tus-resumable": "1.0.0" } });
  },
  remove(token: string, id: string) {
    return call(uploads.DELETE, `/api/v1/uploads/${id}`, { method: "DELETE", token, params: { id: [id] }, headers: { "tus-resumable": "1.0.0" } });
  },
  idFrom(response: Response): string {
    const location = response.headers.get("location") ?? "";
    return location.split("/").at(-1) ?? "";
  },
};
