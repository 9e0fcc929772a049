import { z } from "zod";
import { defineConnection, defineSourceSpec, settings } from "../source-spec";

const HUB = "https://huggingface.co";

/** A Hugging Face access token, for private and gated repositories (and a self-hosted hub or mirror). */
export const huggingfaceConnection = defineConnection({
  provider: "huggingface",
  label: "Hugging Face",
  config: z.object({ endpoint: settings.url() }),
  secret: z.object({ token: settings.required("Enter a Hugging Face access token") }),
  fields: [
    { group: "secret", key: "token", label: "Access token", required: true, placeholder: "hf_…", hint: "A read token is enough, also for gated repositories you were granted." },
    { group: "config", key: "endpoint", label: "Hub endpoint", kind: "url", placeholder: HUB, hint: "Leave empty for huggingface.co." },
  ],
});

export const huggingfaceSpec = defineSourceSpec({
  type: "huggingface",
  label: "Hugging Face",
  description: "A model repository, optionally at a branch or revision.",
  path: {
    placeholder: "namespace/repo",
    rule: "A Hugging Face path is <namespace>/<repo>, e.g. mistralai/Mistral-7B-v0.1.",
    check: (uri) => /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}\/[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/.test(uri),
  },
  providers: ["huggingface"],
  connection: huggingfaceConnection,
  options: [{ key: "revision", label: "Revision", placeholder: "main", hint: "A branch, tag or commit. Defaults to main." }],
  defaultEndpoint: HUB,
});
