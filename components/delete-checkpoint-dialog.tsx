"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import { useDeleteCheckpoint } from "@/lib/hooks/use-checkpoints";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { InlineError } from "./ui/error-state";
import { Input } from "./ui/input";
import { Label } from "./ui/label";

type UsedBy = { jobId: string; jobName: string; status: string }[];

/** Deletes a checkpoint once the user has typed its exact name. */
export function DeleteCheckpointDialog({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const remove = useDeleteCheckpoint(id);
  const usedBy = remove.error instanceof ApiClientError ? (remove.error.details?.usedBy as UsedBy | undefined) : undefined;

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (!next) {
      setTyped("");
      remove.reset();
    }
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (typed !== name) return;
    remove.mutate(undefined, { onSuccess: () => router.push("/checkpoints") });
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="secondary" className="text-red-600 hover:text-red-700">
          Delete
        </Button>
      </DialogTrigger>
      <DialogContent
        title="Delete checkpoint"
        description={
          <>
            This permanently deletes <strong className="font-mono text-zinc-900">{name}</strong> and all its files. It cannot be undone.
          </>
        }
      >
        <form onSubmit={submit} className="space-y-3">
          <div>
            <Label htmlFor="delete-confirm">
              Type <span className="font-mono">{name}</span> to confirm
            </Label>
            <Input
              id="delete-confirm"
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              autoComplete="off"
              spellCheck={false}
              className="mt-1.5 font-mono"
            />
          </div>
          {remove.error && <InlineError error={remove.error} />}
          {usedBy && usedBy.length > 0 && (
            <ul className="list-disc pl-5 text-sm text-zinc-700">
              {usedBy.map((job) => (
                <li key={job.jobId}>
                  <Link href={`/jobs/${encodeURIComponent(job.jobId)}`} className="font-mono text-accent-700 hover:underline">
                    {job.jobName}
                  </Link>{" "}
                  ({job.status})
                </li>
              ))}
            </ul>
          )}
          <DialogFooter>
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button type="submit" variant="danger" disabled={typed !== name} pending={remove.isPending}>
              Delete checkpoint
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
