"use client";

import { useCancelCheckpoint } from "@/lib/hooks/use-checkpoints";
import { Button } from "./ui/button";
import { InlineError } from "./ui/error-state";

/** *Cancel* on a checkpoint whose ingest is queued, downloading or extracting: it stops within a second and keeps nothing. */
export function CancelIngestButton({ id }: { id: string }) {
  const cancel = useCancelCheckpoint(id);
  return (
    <div className="flex flex-col items-end gap-1">
      <Button variant="secondary" pending={cancel.isPending} onClick={() => cancel.mutate()}>
        Cancel
      </Button>
      {cancel.error && <InlineError error={cancel.error} />}
    </div>
  );
}
