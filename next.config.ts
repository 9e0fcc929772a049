import type { NextConfig } from "next";
import { HSTS, securityHeaders } from "./lib/net/security-headers";

export { contentSecurityPolicy, HSTS, securityHeaders } from "./lib/net/security-headers";

const nextConfig: NextConfig = {
  // Native, WASM and stream-heavy server packages load from node_modules instead of the bundle.
  serverExternalPackages: [
    "@electric-sql/pglite",
    "@node-rs/argon2",
    "@tus/server",
    "@tus/file-store",
    "pg",
    "@aws-sdk/client-s3",
    "@aws-sdk/lib-storage",
    "pg-boss",
    "@google-cloud/storage",
    "@azure/storage-blob",
    "@huggingface/hub",
    "basic-ftp",
    "tar",
    "yauzl",
    "unbzip2-stream",
    "teeny-request",
    "google-auth-library",
  ],
  // A build directory of its own lets a second dev server run beside the first on one checkout.
  distDir: process.env.CAIRN_NEXT_DIST_DIR || ".next",
  poweredByHeader: false,
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      { source: "/:path*", has: [{ type: "header", key: "x-forwarded-proto", value: "https" }], headers: [HSTS] },
    ];
  },
  typedRoutes: false,
};

export default nextConfig;
