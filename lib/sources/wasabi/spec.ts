import { defineSourceSpec, endpointOption } from "../source-spec";
import { listVersionOption, S3_PATH } from "../s3/spec";

const WASABI_ENDPOINT = "https://s3.wasabisys.com";

/** Wasabi's endpoint for a region (`s3.<region>.wasabisys.com`), or its global one. */
export function wasabiEndpoint(region: string | undefined): string {
  return region ? `https://s3.${region}.wasabisys.com` : WASABI_ENDPOINT;
}

/** S3 at Wasabi: the S3 connection and adapter, with Wasabi's endpoint unless one is given. */
export const wasabiSpec = defineSourceSpec({
  type: "wasabi",
  label: "Wasabi",
  description: "A Wasabi bucket or object.",
  path: {
    placeholder: "s3://bucket/prefix/",
    rule: "A Wasabi path begins with s3:// — s3://bucket/prefix/ for a folder, s3://bucket/key for one file.",
    check: (uri) => S3_PATH.test(uri),
  },
  providers: ["s3"],
  options: [{ ...endpointOption, placeholder: WASABI_ENDPOINT, hint: "Defaults to Wasabi's endpoint for the connection's region." }, listVersionOption],
  defaultEndpoint: WASABI_ENDPOINT,
});
