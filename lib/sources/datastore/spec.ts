import { defineSourceSpec } from "../source-spec";

/** A directory on the server itself, under a root the administrator exposes (CAIRN_DATASTORE_ROOTS). */
export const datastoreSpec = defineSourceSpec({
  type: "datastore",
  label: "Datastore",
  description: "A directory the administrator exposes on the server.",
  path: {
    placeholder: "/datastore/path/",
    rule: "A datastore path is an absolute server path beginning with / under a root the administrator exposes.",
    check: (uri) => uri.startsWith("/") && !uri.split("/").includes(".."),
  },
  providers: [],
});
