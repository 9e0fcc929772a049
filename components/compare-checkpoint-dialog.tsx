"use client";

import { useRouter } from "next/navigation";
import { useState } from "react";
import { CheckpointSelect, type SelectedCheckpoint } from "./checkpoint-select";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { Label } from "./ui/label";

/** Picks another ready checkpoint (of the org or the catalog); picking one opens the compare page against it. */
export function CompareCheckpointDialog({ name }: { name: string }) {
  const router = useRouter();
  const [open, setOpen] = useState(false);
  const [catalog, setCatalog] = useState(false);
  const compareWith = (other: SelectedCheckpoint | undefined) => {
    if (other) router.push(`/checkpoints/${encodeURIComponent(name)}/compare/${encodeURIComponent(other.public ? other.ref : other.name)}`);
  };

  return (
    <Dialog
      open={open}
      onOpenChange={setOpen}
    >
      <DialogTrigger asChild>
        <Button variant="secondary">Compare…</Button>
      </DialogTrigger>
      <DialogContent title="Compare with another checkpoint" description={`Files and tensors that differ between ${name} and the one you pick.`}>
        <Label htmlFor="compare-with">Checkpoint</Label>
        <div className="mt-1.5">
          <CheckpointSelect id="compare-with" value={[]} onChange={(value) => compareWith(value.at(-1))} catalog={catalog} onCatalogChange={setCatalog} />
        </div>
        <p className="mt-1.5 text-xs text-zinc-500">Type to search; picking one opens the comparison.</p>
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">Cancel</Button>
          </DialogClose>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  );
}
