"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api/client";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { checkpointPath, fileDownloadPath } from "@/lib/query/checkpoints";
import { Button } from "./ui/button";
import { InlineError } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

/** The first 64 KiB of a model card is what a page shows; the file link has the rest. */
const CARD_BYTES = 64 * 1024;

const stripFrontMatter = (text: string) => text.replace(/^---\r?\n[\s\S]*?\r?\n---\r?\n?/, "");

/** A catalog checkpoint's model card (`README.md`), as plain text: nothing in it runs or loads. */
export function ModelCardText({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const cardPath = checkpoint.status.model?.modelCard ?? null;
  const card = useQuery({
    queryKey: ["checkpoints", "card", checkpoint.metadata.id, cardPath],
    enabled: cardPath !== null,
    queryFn: ({ signal }) => api.text(fileDownloadPath(checkpoint.metadata.id, cardPath!), { signal, headers: { range: `bytes=0-${CARD_BYTES - 1}` } }),
  });
  if (!cardPath) return null;
  return (
    <section aria-labelledby="card-heading" className="rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <h2 id="card-heading" className="text-sm font-semibold text-zinc-900">
        Model card <span className="font-mono text-xs font-normal text-zinc-500">{cardPath}</span>
      </h2>
      {card.isPending ? (
        <Skeleton className="mt-2 h-24 w-full" />
      ) : card.isError ? (
        <InlineError error={card.error} />
      ) : (
        <pre className="mt-2 max-h-96 overflow-auto text-sm leading-relaxed whitespace-pre-wrap text-zinc-800 [overflow-wrap:anywhere]">{stripFrontMatter(card.data).trim() || "(empty)"}</pre>
      )}
    </section>
  );
}

type LicenseState = { license: string | null; required: boolean; acceptedAt: string | null };

/** The license a catalog checkpoint names, and whether the signed-in user accepted it. */
export function LicenseAcceptance({ checkpoint }: { checkpoint: CheckpointResponse }) {
  const client = useQueryClient();
  const key = ["checkpoints", "license", checkpoint.metadata.id];
  const state = useQuery({ queryKey: key, queryFn: ({ signal }) => api.get<LicenseState>(checkpointPath(checkpoint.metadata.id, "/license"), { signal }) });
  const accept = useMutation({
    mutationFn: () => api.post<LicenseState>(checkpointPath(checkpoint.metadata.id, "/license")),
    onSuccess: (next) => client.setQueryData(key, next),
  });
  if (!state.data?.license) return null;
  const { license, required, acceptedAt } = state.data;
  return (
    <section aria-labelledby="license-heading" className="flex flex-wrap items-center justify-between gap-3 rounded-lg border border-zinc-200 bg-white p-4 shadow-sm">
      <div>
        <h2 id="license-heading" className="text-sm font-semibold text-zinc-900">
          License: <span className="font-mono">{license}</span>
        </h2>
        <p className="mt-0.5 text-sm text-zinc-600">
          {acceptedAt
            ? `You accepted it on ${new Date(acceptedAt).toLocaleString()}.`
            : required
              ? "Jobs can attach this checkpoint once you accept its license."
              : "Your organization owns this checkpoint."}
        </p>
        {accept.isError && <InlineError error={accept.error} />}
      </div>
      {required && !acceptedAt && (
        <Button onClick={() => accept.mutate()} disabled={accept.isPending}>
          {accept.isPending ? "Accepting…" : "Accept license"}
        </Button>
      )}
    </section>
  );
}
