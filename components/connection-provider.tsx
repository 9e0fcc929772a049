import type { ConnectionResponse } from "@/lib/api/schemas/connections";
import { connectionSpec } from "@/lib/sources/specs";
import { Badge } from "./ui/badge";

export function providerLabel(provider: string): string {
  return connectionSpec(provider)?.label ?? provider;
}

export function ProviderBadge({ provider }: { provider: string }) {
  return (
    <Badge tone="neutral" className="whitespace-nowrap">
      {providerLabel(provider)}
    </Badge>
  );
}

const configLabels: Record<string, string> = {
  endpoint: "endpoint",
  apiEndpoint: "endpoint",
  baseUrl: "API",
  region: "region",
  projectId: "project",
  accountName: "account",
  username: "user",
};

/** The non-secret settings in a line: the endpoint first, as it is what tells connections apart. */
export function connectionSummary(connection: Pick<ConnectionResponse, "config">): { label: string; value: string }[] {
  const entries = Object.entries(connection.config).filter(([, v]) => v !== undefined && v !== null && v !== "" && v !== false);
  const order = (key: string) => (["endpoint", "apiEndpoint", "baseUrl"].includes(key) ? 0 : 1);
  return entries
    .sort(([a], [b]) => order(a) - order(b))
    .map(([key, value]) => (key === "forcePathStyle" ? { label: "path-style", value: "" } : { label: configLabels[key] ?? key, value: String(value) }));
}
