import { z } from "zod";
import { defineConnection, defineSourceSpec, settings } from "../source-spec";

const KAGGLE_API = "https://www.kaggle.com/api/v1";

/** A Kaggle user name and API key (from kaggle.json). */
export const kaggleConnection = defineConnection({
  provider: "kaggle",
  label: "Kaggle",
  config: z.object({ username: settings.text(), baseUrl: settings.url() }),
  secret: z.object({ key: settings.required("Enter the Kaggle API key") }),
  fields: [
    { group: "config", key: "username", label: "Username" },
    { group: "secret", key: "key", label: "API key", required: true, hint: "From kaggle.json (Account → Create New Token)." },
    { group: "config", key: "baseUrl", label: "API base URL", kind: "url", placeholder: KAGGLE_API, hint: "Leave empty for kaggle.com." },
  ],
});

export const kaggleTypes = ["competition", "dataset", "kernel"] as const;

export const kaggleSpec = defineSourceSpec({
  type: "kaggle",
  label: "Kaggle",
  description: "A competition, dataset or kernel.",
  path: {
    placeholder: "owner/dataset",
    rule: "A Kaggle path is a short name: a competition (titanic), a dataset or kernel (owner/name).",
    check: (uri) => /^[A-Za-z0-9][A-Za-z0-9_-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/.test(uri),
  },
  providers: ["kaggle"],
  connection: kaggleConnection,
  options: [
    {
      key: "kaggleType",
      label: "Kind",
      hint: "owner/name is a dataset unless you pick kernel; a single name is a competition.",
      choices: [
        { value: "", label: "From the name" },
        { value: "competition", label: "Competition" },
        { value: "dataset", label: "Dataset" },
        { value: "kernel", label: "Kernel" },
      ],
    },
  ],
  defaultEndpoint: KAGGLE_API,
});
