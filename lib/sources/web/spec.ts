import { defineSourceSpec } from "../source-spec";

/** Any public file over HTTP(S), or files and trees over FTP(S); credentials, if any, go in the URL. */
export const webSpec = defineSourceSpec({
  type: "web",
  label: "Web",
  description: "A file or archive over HTTP(S) or FTP(S).",
  path: {
    placeholder: "https://example.com/ckpt.tar.gz",
    rule: "A web path begins with http://, https://, ftp:// or ftps://.",
    check: (uri) => /^(https?|ftps?):\/\/[^\s/]+(\/\S*)?$/.test(uri),
  },
  providers: [],
});
