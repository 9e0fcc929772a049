import "server-only";
import { createS3Source } from "../s3/adapter";
import type { SourceAdapter } from "../types";
import { wasabiEndpoint } from "./spec";

/** Wasabi: S3 with Wasabi's endpoint (region-specific when the connection names a region) unless one is given. */
export const wasabiSource: SourceAdapter = createS3Source("wasabi", { defaultEndpoint: wasabiEndpoint });
