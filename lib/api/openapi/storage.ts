import { storageQuery, storageResponse } from "@/lib/api/schemas/storage";
import { json, responseComponent, type Area } from "./registry";

export const storageArea: Area = {
  tag: "Storage",
  description: "What the organization stores: blobs are content-addressed, so checkpoints that share files share bytes.",
  operations: [
    {
      id: "getStorage",
      method: "get",
      path: "/api/v1/storage",
      summary: "Storage use against the quota",
      description: "`usedBytes` counts each blob once (the quota is enforced on it); `exclusiveBytes` is what deleting a checkpoint would free.",
      access: { kind: "user", permission: "read" },
      query: storageQuery,
      responses: { 200: json("Use, savings, the largest consumers and use per job series.", responseComponent("Storage", storageResponse)) },
    },
  ],
};
