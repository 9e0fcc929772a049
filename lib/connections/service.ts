import "server-only";
import { ApiError, notFound } from "@/lib/api/errors";
import { type ConnectionList, type ConnectionResponse, type ConnectionTestResponse, type CreateConnectionBody, type Provider, providerConfig, providerSecret } from "@/lib/api/schemas/connections";
import { isUuid } from "@/lib/api/schemas/common";
import { isUniqueViolation } from "@/lib/db/errors";
import type { Caller } from "@/lib/auth/caller";
import type { Db } from "@/lib/db/client";
import { findConnection, insertConnection, listConnections, softDeleteConnection } from "@/lib/db/queries/connections";
import type { Connection } from "@/lib/db/schema";
import type { SourceConnection } from "@/lib/sources/types";
import { decryptSecret, encryptSecret } from "./crypto";
import { probeConnection } from "./probes";

const secretContext = (orgId: string, id: string) => `connection:${orgId}:${id}`;

/** What the API shows of a connection: never the secret, only which secret fields are set. */
export function presentConnection(row: Connection): ConnectionResponse {
  return {
    id: row.id,
    name: row.name,
    provider: row.provider as Provider,
    config: row.config,
    secretFields: row.secretFields,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function createConnection(db: Db, caller: Caller, body: CreateConnectionBody) {
  const config = providerConfig[body.provider].parse(body.config);
  const secret = Object.fromEntries(
    Object.entries(providerSecret[body.provider].parse(body.secret)).filter(([, v]) => typeof v === "string" && v !== ""),
  ) as Record<string, string>;
  if (await findConnection(db, { orgId: caller.orgId, name: body.name })) throw taken(body.name);
  const id = crypto.randomUUID();
  try {
    const row = await insertConnection(db, {
      id,
      orgId: caller.orgId,
      name: body.name,
      provider: body.provider,
      config,
      secretCiphertext: encryptSecret(secret, secretContext(caller.orgId, id)),
      secretFields: Object.keys(secret).sort(),
      creatorUserId: caller.user.id,
    });
    return presentConnection(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw taken(body.name);
    throw error;
  }
}

const taken = (name: string) =>
  new ApiError("conflict", `A connection named '${name}' already exists. Pick another name.`, { fields: { name: "already taken" } });

export async function connectionsOf(db: Db, { orgId, provider }: { orgId: string; provider?: string }): Promise<ConnectionList> {
  const rows = await listConnections(db, { orgId, provider });
  return { items: rows.map(presentConnection), nextCursor: null, total: rows.length };
}

export async function resolveConnectionRow(db: Db, { orgId, ref }: { orgId: string; ref: string }) {
  const row = isUuid(ref) ? await findConnection(db, { orgId, id: ref }) : await findConnection(db, { orgId, name: ref });
  if (!row) throw notFound(`Connection '${ref}'`);
  return row;
}

export async function deleteConnection(db: Db, scope: { orgId: string; ref: string }) {
  const row = await resolveConnectionRow(db, scope);
  await softDeleteConnection(db, { orgId: scope.orgId, id: row.id });
}

/** The connection with its secret decrypted, for a source adapter or an export. */
export async function openConnection(db: Db, scope: { orgId: string; ref: string }): Promise<SourceConnection> {
  const row = await resolveConnectionRow(db, scope);
  return {
    name: row.name,
    provider: row.provider,
    config: row.config,
    secret: decryptSecret(row.secretCiphertext, secretContext(row.orgId, row.id)),
  };
}

export async function testConnection(db: Db, scope: { orgId: string; ref: string }): Promise<ConnectionTestResponse> {
  return probeConnection(await openConnection(db, scope));
}
