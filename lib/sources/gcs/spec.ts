import { z } from "zod";
import { defineConnection, defineSourceSpec, settings } from "../source-spec";

/** A service account key (or user credentials) for Google Cloud Storage. */
export const gcsConnection = defineConnection({
  provider: "gcs",
  label: "Google Cloud Storage",
  config: z.object({ projectId: settings.text(), apiEndpoint: settings.url() }),
  secret: z.object({ credentialsJson: settings.required("Paste the service account key JSON") }),
  fields: [
    { group: "secret", key: "credentialsJson", label: "Service account key (JSON)", kind: "multiline", required: true, placeholder: '{"type": "service_account", …}' },
    { group: "config", key: "projectId", label: "Project ID", placeholder: "my-project" },
    { group: "config", key: "apiEndpoint", label: "API endpoint", kind: "url", placeholder: "https://storage.googleapis.com", hint: "Leave empty for Google Cloud." },
  ],
});

export const gcsSpec = defineSourceSpec({
  type: "gcs",
  label: "Google Cloud Storage",
  description: "A GCS bucket prefix or object.",
  path: {
    placeholder: "gs://bucket/prefix/",
    rule: "A Google Cloud Storage path begins with gs:// — gs://bucket/prefix/.",
    check: (uri) => /^gs:\/\/[a-z0-9][a-z0-9._-]{1,220}[a-z0-9](\/.*)?$/.test(uri),
  },
  providers: ["gcs"],
  connection: gcsConnection,
});
