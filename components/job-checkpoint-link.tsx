import Link from "next/link";
import type { JobAttachmentResponse } from "@/lib/api/schemas/jobs";

/** Where an attached checkpoint is shown: its page in this org, or its catalog entry when another org's. */
export function attachmentHref(attachment: Pick<JobAttachmentResponse, "id" | "name" | "ownerOrgID">, orgId: string | undefined): string {
  return attachment.ownerOrgID === orgId ? `/checkpoints/${encodeURIComponent(attachment.name)}` : `/catalog/${encodeURIComponent(attachment.id)}`;
}

export function JobCheckpointLink({ attachment, orgId }: { attachment: JobAttachmentResponse; orgId: string | undefined }) {
  return (
    <Link
      href={attachmentHref(attachment, orgId)}
      className="inline-flex max-w-full items-center gap-1 truncate font-mono text-xs text-zinc-700 hover:text-accent-600 hover:underline"
      title={attachment.mountPath}
    >
      <span className="truncate">{attachment.name}</span>
      {attachment.public && <span className="rounded bg-zinc-100 px-1 font-sans text-[10px] font-semibold text-zinc-500 uppercase">public</span>}
    </Link>
  );
}
