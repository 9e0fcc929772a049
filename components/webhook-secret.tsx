"use client";

import type { CreatedWebhookResponse } from "@/lib/api/schemas/webhooks";
import { CopyButton } from "./ui/copy-button";

/** The signing secret of a webhook just created: shown this once, with how a receiver checks it. */
export function WebhookSecret({ webhook, onDismiss }: { webhook: CreatedWebhookResponse; onDismiss: () => void }) {
  return (
    <div role="status" className="rounded-lg border border-amber-300 bg-amber-50 p-4">
      <p className="text-sm font-semibold text-amber-900">Copy the signing secret now</p>
      <p className="mt-0.5 text-sm break-words text-amber-800">
        It won’t be shown again. Deliveries to <span className="font-mono break-all">{webhook.url}</span> carry{" "}
        <code className="font-mono">X-Cairn-Signature: sha256=&lt;HMAC-SHA256 of the body&gt;</code> made with it.
      </p>
      <div className="mt-3 flex items-center gap-2">
        <code
          aria-label="Webhook signing secret"
          className="min-w-0 flex-1 truncate rounded-md border border-amber-200 bg-white px-3 py-2 font-mono text-sm text-zinc-900 select-all"
        >
          {webhook.secret}
        </code>
        <CopyButton value={webhook.secret} label="Copy secret" size="md" />
      </div>
      <button type="button" onClick={onDismiss} className="mt-3 text-xs font-medium text-amber-900 underline hover:no-underline">
        I have copied it, hide it
      </button>
    </div>
  );
}
