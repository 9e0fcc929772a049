"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { NAME_RULE, nameProblem } from "@/lib/checkpoints/naming";
import { useUpdateCheckpoint } from "@/lib/hooks/use-checkpoints";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { Input } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

/** Renames a checkpoint and moves the page to its new URL. */
export function RenameCheckpointDialog({ id, name }: { id: string; name: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [value, setValue] = useState(name);
  const update = useUpdateCheckpoint(id);
  const problem = value === name ? null : nameProblem(value);
  const message = problem ?? update.error?.message ?? null;

  function onOpenChange(next: boolean) {
    setOpen(next);
    if (next) setValue(name);
    update.reset();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (problem || value === name) return;
    update.mutate(
      { name: value },
      {
        onSuccess: (checkpoint) => {
          setOpen(false);
          router.replace(`/checkpoints/${encodeURIComponent(checkpoint.metadata.name)}`);
        },
      },
    );
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="secondary">Rename</Button>
      </DialogTrigger>
      <DialogContent title="Rename checkpoint" description="Jobs and scripts that refer to it by name need the new name; its id stays the same.">
        <form onSubmit={submit}>
          <Label htmlFor="rename-name">New name</Label>
          <Input
            id="rename-name"
            value={value}
            onChange={(event) => {
              setValue(event.target.value);
              if (update.error) update.reset();
            }}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={message ? true : undefined}
            aria-describedby="rename-name-message"
            className="mt-1.5 font-mono"
          />
          <FieldMessage id="rename-name-message" error={Boolean(message)}>
            {message ?? NAME_RULE}
          </FieldMessage>
          <DialogFooter>
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button type="submit" disabled={Boolean(problem) || value === name} pending={update.isPending}>
              Rename
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
