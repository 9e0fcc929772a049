import { ApiError } from "@/lib/api/errors";
import type { CreateCheckpointBody } from "@/lib/api/schemas/checkpoints";
import type { Db } from "@/lib/db/client";
import { findConnection } from "@/lib/db/queries/connections";
import { connectionProvidersFor, sourcePathProblem } from "@/lib/sources/specs";
import { AVAILABLE_SOURCE_TYPES, sourceTypeAvailable } from "./source-types";

const invalid = (field: string, message: string) => new ApiError("validation_failed", message, { fields: { [field]: message } });

/**
 * Checks what a create request asks of its source before anything is stored: the type works on
 * this server, the path follows the type's rule, and the connection exists and fits the type.
 */
export async function assertSourceUsable(db: Db, orgId: string, body: CreateCheckpointBody): Promise<void> {
  if (!sourceTypeAvailable(body.sourceType)) {
    throw invalid("sourceType", `Source type '${body.sourceType}' is not available on this server. Choose one of: ${AVAILABLE_SOURCE_TYPES.join(", ")}.`);
  }
  if (body.sourceType === "local") return;
  if (body.fromLocalFiles?.length) {
    throw invalid("fromLocalFiles", `fromLocalFiles names the local paths of a push; a ${body.sourceType} checkpoint reads its files from its source. Leave it out.`);
  }
  const problem = sourcePathProblem(body.sourceType, body.sourceUri);
  if (problem) throw invalid("sourceUri", problem);
  if (!body.connection) return;
  const connection = await findConnection(db, { orgId, name: body.connection });
  if (!connection) throw invalid("connection", `There is no connection named '${body.connection}'. Create it on the Connections page first.`);
  const providers = connectionProvidersFor(body.sourceType);
  if (!providers.includes(connection.provider)) {
    throw invalid("connection", `Connection '${body.connection}' is for ${connection.provider}; a ${body.sourceType} source needs a ${providers.join(" or ") || "connection-less"} one.`);
  }
}
