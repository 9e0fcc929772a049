"use client";

import { useState } from "react";
import { useStopJob } from "@/lib/hooks/use-jobs";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { InlineError } from "./ui/error-state";

/** Stops a queued or running job after a confirmation: SIGTERM, then SIGKILL after the grace period. */
export function JobStopDialog({ jobId, name }: { jobId: string; name: string }) {
  const [open, setOpen] = useState(false);
  const stop = useStopJob(jobId);

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (!next) stop.reset();
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="secondary" className="text-red-600 hover:text-red-700">
          Stop
        </Button>
      </DialogTrigger>
      <DialogContent
        title="Stop job"
        description={
          <>
            <strong className="font-mono text-zinc-900">{name}</strong> gets SIGTERM, then SIGKILL if it has not exited after the grace period. Checkpoints it
            has already written are still captured.
          </>
        }
      >
        {stop.error && <InlineError error={stop.error} />}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">Keep running</Button>
          </DialogClose>
          <Button variant="danger" pending={stop.isPending} onClick={() => stop.mutate(undefined, { onSuccess: () => setOpen(false) })}>
            Stop job
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
