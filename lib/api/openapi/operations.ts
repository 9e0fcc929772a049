import { accountsArea } from "./accounts";
import { agentArea } from "./agent";
import { auditArea } from "./audit";
import { checkpointFilesArea } from "./checkpoint-files";
import { checkpointLineageArea } from "./checkpoint-lineage";
import { checkpointsArea } from "./checkpoints";
import { connectionsArea } from "./connections";
import { serviceArea } from "./health";
import { jobsArea } from "./jobs";
import type { Area, HttpMethod, Operation } from "./registry";
import { retentionArea } from "./retention";
import { storageArea } from "./storage";
import { uploadsArea } from "./uploads";
import { webhooksArea } from "./webhooks";

/** Every area of the API, in the order the document and the reference page show them. */
export const apiAreas: Area[] = [
  checkpointsArea,
  checkpointFilesArea,
  uploadsArea,
  checkpointLineageArea,
  connectionsArea,
  jobsArea,
  storageArea,
  retentionArea,
  auditArea,
  webhooksArea,
  accountsArea,
  serviceArea,
  agentArea,
];

export const apiOperations: Operation[] = apiAreas.flatMap((area) => area.operations);

/** The tag of areas that are internal: documented, but not for users. */
export const INTERNAL_TAG = agentArea.tag;

const byKey = new Map(apiOperations.map((op) => [`${op.method} ${op.path}`, op]));

/** The operation documented for this method and path template (`/api/v1/checkpoints/{ref}`), if any. */
export const findOperation = (method: HttpMethod, path: string): Operation | undefined => byKey.get(`${method} ${path}`);
