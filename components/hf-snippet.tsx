"use client";

import Link from "next/link";
import { useState, useSyncExternalStore } from "react";
import { useMe } from "@/lib/hooks/use-me";
import { cn } from "./ui/cn";
import { CopyButton } from "./ui/copy-button";

type Tab = "python" | "cli";

const noSubscription = () => () => {};

/** This console's origin: the endpoint Hugging Face clients reach Cairn at (empty while rendered on the server). */
function useOrigin(): string {
  return useSyncExternalStore(
    noSubscription,
    () => window.location.origin,
    () => "",
  );
}

function snippets(repoId: string, endpoint: string): Record<Tab, string> {
  return {
    python: [
      "import os",
      "",
      "# Before huggingface_hub is imported: it reads both once.",
      `os.environ["HF_ENDPOINT"] = "${endpoint}"`,
      'os.environ["HF_TOKEN"] = "<your Cairn API token>"',
      "",
      "from huggingface_hub import snapshot_download",
      "from transformers import AutoModel",
      "",
      `local_dir = snapshot_download("${repoId}")`,
      `model = AutoModel.from_pretrained("${repoId}")`,
    ].join("\n"),
    cli: [
      `export HF_ENDPOINT=${endpoint}`,
      "export HF_TOKEN=<your Cairn API token>",
      "",
      `hf download ${repoId} --local-dir ${repoId.split("/")[1] ?? repoId}`,
    ].join("\n"),
  };
}

/**
 * *Use with Hugging Face*: the checkpoint as the Hub's clients load it, repo id
 * `<org-slug>/<checkpoint-name>` at this console's own origin, in Python and with the `hf` CLI.
 * Nothing shows until the owner organization's slug is known (one of the viewer's organizations).
 */
export function HfSnippet({ ownerOrgId, name }: { ownerOrgId: string; name: string }) {
  const [tab, setTab] = useState<Tab>("python");
  const endpoint = useOrigin();
  const slug = useMe().data?.orgs.find((org) => org.id === ownerOrgId)?.slug;
  if (!slug) return null;
  const repoId = `${slug}/${name}`;
  const text = snippets(repoId, endpoint || "<this console's URL>")[tab];
  const labels: Record<Tab, string> = { python: "Python", cli: "CLI" };

  return (
    <section aria-labelledby="hf-snippet-heading" className="rounded-lg border border-zinc-200 bg-white shadow-sm">
      <div className="flex flex-wrap items-center justify-between gap-3 border-b border-zinc-200 px-4 py-2.5">
        <div>
          <h2 id="hf-snippet-heading" className="text-sm font-semibold text-zinc-900">
            Use with Hugging Face
          </h2>
          <p className="mt-0.5 text-xs text-zinc-500">
            Repo id <code className="font-mono text-zinc-700">{repoId}</code>. HF_TOKEN is an API token from the{" "}
            <Link href="/tokens" className="text-accent-700 underline-offset-2 hover:underline">
              Tokens page
            </Link>
            .
          </p>
        </div>
        <div className="flex items-center gap-2">
          <div role="radiogroup" aria-label="Client" className="inline-flex rounded-md border border-zinc-200 bg-zinc-50 p-0.5">
            {(["python", "cli"] as const).map((option) => (
              <button
                key={option}
                type="button"
                role="radio"
                aria-checked={tab === option}
                onClick={() => setTab(option)}
                className={cn("rounded px-2 py-0.5 text-xs font-medium", tab === option ? "bg-white text-zinc-900 shadow-sm" : "text-zinc-500 hover:text-zinc-800")}
              >
                {labels[option]}
              </button>
            ))}
          </div>
          <CopyButton value={text} label={`Copy ${labels[tab]}`} />
        </div>
      </div>
      <pre tabIndex={0} aria-label={`Hugging Face ${labels[tab]} snippet`} className="overflow-auto p-4 font-mono text-xs leading-relaxed text-zinc-800">
        {text}
      </pre>
    </section>
  );
}
