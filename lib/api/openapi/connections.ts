import {
  connectionListResponse,
  connectionResponse,
  connectionTestResponse,
  createConnectionBody,
  listConnectionsQuery,
  providerConfig,
  providerSecret,
  providers,
} from "@/lib/api/schemas/connections";
import { bodyComponent, empty, json, responseComponent, type Area } from "./registry";

const ref = { ref: "The connection's id (UUID) or name." };
const connection = responseComponent("Connection", connectionResponse);

// Each provider's own fields, as the body's rule checks `config` and `secret` against them.
const title = (provider: string) => provider.charAt(0).toUpperCase() + provider.slice(1);
for (const provider of providers) {
  bodyComponent(`${title(provider)}ConnectionConfig`, providerConfig[provider]);
  bodyComponent(`${title(provider)}ConnectionSecret`, providerSecret[provider]);
}
const perProvider = providers.map((p) => `\`${p}\`: ${title(p)}ConnectionConfig and ${title(p)}ConnectionSecret`).join("; ");

export const connectionsArea: Area = {
  tag: "Connections",
  description:
    "Named storage connections: the credentials sources and exports use. Secrets are encrypted at rest and never returned; answers name only which secret fields are set.",
  operations: [
    {
      id: "listConnections",
      method: "get",
      path: "/api/v1/connections",
      summary: "List storage connections",
      access: { kind: "user", permission: "read" },
      query: listConnectionsQuery,
      responses: { 200: json("Every connection (of `provider`).", responseComponent("ConnectionList", connectionListResponse)) },
    },
    {
      id: "createConnection",
      method: "post",
      path: "/api/v1/connections",
      summary: "Create a storage connection",
      description: `\`config\` and \`secret\` hold the fields of \`provider\` (${perProvider}); a field it does not know, or a missing one, is a 422 naming it.`,
      access: { kind: "user", permission: "write" },
      body: { schema: bodyComponent("CreateConnectionBody", createConnectionBody) },
      responses: { 201: json("The connection, without its secret.", connection) },
      errors: [409],
    },
    {
      id: "getConnection",
      method: "get",
      path: "/api/v1/connections/{ref}",
      summary: "A storage connection",
      access: { kind: "user", permission: "read" },
      params: ref,
      responses: { 200: json("The connection, without its secret.", connection) },
    },
    {
      id: "deleteConnection",
      method: "delete",
      path: "/api/v1/connections/{ref}",
      summary: "Delete a storage connection",
      access: { kind: "user", permission: "write" },
      params: ref,
      responses: { 204: empty("Deleted.") },
    },
    {
      id: "testConnection",
      method: "post",
      path: "/api/v1/connections/{ref}/test",
      summary: "Test a storage connection",
      description: "Reaches the storage with the connection's credentials; the answer says what it found or why it failed.",
      access: { kind: "user", permission: "write" },
      params: ref,
      responses: { 200: json("Whether it works, in a sentence.", responseComponent("ConnectionTest", connectionTestResponse)) },
    },
  ],
};
