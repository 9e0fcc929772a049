import type { NextConfig } from "next";

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
  poweredByHeader: false,
  typedRoutes: false,
};

export default nextConfig;
