import Link from "next/link";
import type { JobType } from "@/lib/api/schemas/jobs";
import { buttonClasses } from "./ui/button";

/** The launch form, prefilled to start a job of `type` from this checkpoint. */
export function launchFromCheckpointHref(ref: string, type: JobType, fromCatalog = false): string {
  const params = new URLSearchParams({ checkpoint: ref, type });
  if (fromCatalog) params.set("public", "1");
  return `/jobs/new?${params}`;
}

/** *Continue training* and *Fine-tune*: both open the job form with this checkpoint attached. */
export function CheckpointJobActions({ name }: { name: string }) {
  return (
    <>
      <Link href={launchFromCheckpointHref(name, "training")} className={buttonClasses()}>
        Continue training
      </Link>
      <Link href={launchFromCheckpointHref(name, "fine-tuning")} className={buttonClasses({ variant: "secondary" })}>
        Fine-tune
      </Link>
    </>
  );
}
