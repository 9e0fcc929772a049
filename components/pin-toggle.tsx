"use client";

import { errorMessage } from "@/lib/api/client";
import { useUpdateCheckpoint } from "@/lib/hooks/use-checkpoints";
import { Button } from "./ui/button";

/** *Pin*: retention policies always keep a pinned checkpoint. Unpinning hands it back to them. */
export function PinToggle({ id, pinned }: { id: string; pinned: boolean }) {
  const update = useUpdateCheckpoint(id);
  return (
    <span className="contents">
      <Button
        variant="secondary"
        pending={update.isPending}
        aria-pressed={pinned}
        title={pinned ? "Retention policies keep this checkpoint. Unpin to let them decide." : "Retention policies always keep a pinned checkpoint."}
        onClick={() => update.mutate({ pinned: !pinned })}
      >
        {pinned ? "Unpin" : "Pin"}
      </Button>
      {update.error && (
        <span role="alert" className="self-center text-xs text-red-600">
          {errorMessage(update.error)}
        </span>
      )}
    </span>
  );
}
