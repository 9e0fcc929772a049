import { z } from "zod";
import { defineConnection, defineSourceSpec, settings } from "../source-spec";

/** An Azure storage account: one of account key, SAS token or connection string. */
export const azureConnection = defineConnection({
  provider: "azure",
  label: "Azure Blob Storage",
  config: z.object({ accountName: settings.text(), endpoint: settings.url() }),
  secret: z.object({ accountKey: settings.text(), sasToken: settings.text(), connectionString: settings.text() }),
  fields: [
    { group: "config", key: "accountName", label: "Storage account", placeholder: "mystorageaccount" },
    { group: "secret", key: "accountKey", label: "Account key", hint: "Give one of account key, SAS token or connection string." },
    { group: "secret", key: "sasToken", label: "SAS token" },
    { group: "secret", key: "connectionString", label: "Connection string" },
    { group: "config", key: "endpoint", label: "Endpoint", kind: "url", placeholder: "https://<account>.blob.core.windows.net", hint: "Leave empty for Azure's public cloud." },
  ],
});

export const azureSpec = defineSourceSpec({
  type: "azure",
  label: "Azure Blob Storage",
  description: "A container prefix in an Azure storage account.",
  path: {
    placeholder: "https://<account>.blob.core.windows.net/<container>/<prefix>",
    rule: "An Azure path is https://<account>.blob.core.windows.net/<container>/<prefix>.",
    check: (uri) => /^https:\/\/[^/\s]+\/[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])(\/.*)?$/.test(uri),
  },
  providers: ["azure"],
  connection: azureConnection,
});
