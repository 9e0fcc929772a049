import type { SourceAdapter } from "./types";

/** Every source type this server can ingest from. Adding one is adding its file and a line here. */
const adapters: SourceAdapter[] = [];

export function registerSource(adapter: SourceAdapter): void {
  if (!adapters.some((a) => a.type === adapter.type)) adapters.push(adapter);
}

export function sourceAdapter(type: string): SourceAdapter | undefined {
  return adapters.find((a) => a.type === type);
}

export function registeredSourceTypes(): string[] {
  return adapters.map((a) => a.type);
}
