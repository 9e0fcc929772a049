import type { Metadata } from "next";
import { ApiReference } from "@/components/api-reference";
import { openApiDocument } from "@/lib/api/openapi/document";

export const metadata: Metadata = { title: "API reference" };

export default function ApiReferencePage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">API reference</h1>
        <p className="mt-1 text-sm text-zinc-500">Every call the console, the CLI and your scripts can make, from the same schemas the server checks requests with.</p>
      </div>
      <ApiReference doc={openApiDocument()} />
    </div>
  );
}
