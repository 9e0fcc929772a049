"use client";

import { useState } from "react";
import type { Visibility } from "@/lib/checkpoints/kinds";
import { useUpdateCheckpoint } from "@/lib/hooks/use-checkpoints";
import { useMe } from "@/lib/hooks/use-me";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { InlineError } from "./ui/error-state";

/** Whether the current role may make checkpoints public or private (owners and admins). */
function useCanPublish(): boolean {
  const role = useMe().data?.org.role;
  return role === "owner" || role === "admin";
}

/** Makes a checkpoint public (in every organization's catalog) or private again, after a confirmation. */
export function VisibilityToggle({ id, name, visibility }: { id: string; name: string; visibility: Visibility }) {
  const canPublish = useCanPublish();
  const [open, setOpen] = useState(false);
  const update = useUpdateCheckpoint(id);
  if (!canPublish) return null;
  const next: Visibility = visibility === "public" ? "private" : "public";

  function onOpenChange(value: boolean) {
    setOpen(value);
    if (!value) update.reset();
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="secondary">{next === "public" ? "Make public" : "Make private"}</Button>
      </DialogTrigger>
      <DialogContent
        title={next === "public" ? "Make this checkpoint public" : "Make this checkpoint private"}
        description={
          next === "public" ? (
            <>
              <strong className="font-mono text-zinc-900">{name}</strong> will appear in the public catalog: every organization on this Cairn can see
              it, download its files and attach it to jobs.
            </>
          ) : (
            <>
              <strong className="font-mono text-zinc-900">{name}</strong> leaves the public catalog; only this organization can see and use it. Jobs
              already running with it keep it until they end.
            </>
          )
        }
      >
        {update.error && <InlineError error={update.error} />}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">Cancel</Button>
          </DialogClose>
          <Button pending={update.isPending} onClick={() => update.mutate({ visibility: next }, { onSuccess: () => setOpen(false) })}>
            {next === "public" ? "Make public" : "Make private"}
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
