"use client";

import Link from "next/link";
import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import { DESTINATION_RULE, destinationPathProblem } from "@/lib/api/schemas/exports";
import { useExportTargets, useStartExport } from "@/lib/hooks/use-exports";
import { Button, buttonClasses } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter, DialogTrigger } from "./ui/dialog";
import { InlineError } from "./ui/error-state";
import { Input, Select } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";
import { Skeleton } from "./ui/skeleton";

const providerLabel: Record<string, string> = { s3: "S3", gcs: "GCS", azure: "Azure" };

/** Starts an export of a ready checkpoint to a bucket of one of the organization's storage connections. */
export function CheckpointExportDialog({ checkpointRef }: { checkpointRef: string }) {
  const [open, setOpen] = useState(false);
  const [connection, setConnection] = useState("");
  const [destination, setDestination] = useState("");
  const [touched, setTouched] = useState(false);
  const targets = useExportTargets(open);
  const start = useStartExport(checkpointRef);
  const chosen = connection || targets.data?.[0]?.name || "";
  const provider = targets.data?.find((c) => c.name === chosen)?.provider;
  const localProblem = destinationPathProblem(destination);
  const serverFields = start.error instanceof ApiClientError ? start.error.fields : {};
  const pathMessage = (touched && localProblem) || serverFields.destinationPath || null;

  function onOpenChange(next: boolean) {
    setOpen(next);
    setTouched(false);
    start.reset();
  }

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setTouched(true);
    if (localProblem || !chosen) return;
    start.mutate({ connection: chosen, destinationPath: destination.trim() }, { onSuccess: () => setOpen(false) });
  }

  let body;
  if (targets.isPending) {
    body = <Skeleton className="h-24 w-full" />;
  } else if (targets.isError) {
    body = <InlineError error={targets.error} />;
  } else if (targets.data.length === 0) {
    body = (
      <div className="rounded-md border border-dashed border-zinc-300 p-4 text-sm text-zinc-600">
        <p>No S3, Google Cloud Storage or Azure connection exists in this organization yet.</p>
        <Link href="/connections" className={buttonClasses({ variant: "secondary", size: "sm", className: "mt-3" })}>
          Add a connection
        </Link>
      </div>
    );
  } else {
    body = (
      <form onSubmit={submit} noValidate>
        <Label htmlFor="export-connection">Connection</Label>
        <Select id="export-connection" className="mt-1.5 w-full" value={chosen} onChange={(e) => setConnection(e.target.value)}>
          {targets.data.map((c) => (
            <option key={c.id} value={c.name}>
              {c.name} ({providerLabel[c.provider] ?? c.provider})
            </option>
          ))}
        </Select>
        <Label htmlFor="export-destination" className="mt-4">
          Destination path
        </Label>
        <Input
          id="export-destination"
          value={destination}
          placeholder={provider === "azure" ? "container/prefix/" : "bucket/prefix/"}
          onChange={(e) => {
            setDestination(e.target.value);
            if (start.error) start.reset();
          }}
          onBlur={() => setTouched(destination !== "")}
          autoComplete="off"
          spellCheck={false}
          aria-invalid={pathMessage ? true : undefined}
          aria-describedby="export-destination-message"
          className="mt-1.5 font-mono"
        />
        <FieldMessage id="export-destination-message" error={Boolean(pathMessage)}>
          {pathMessage ?? `${DESTINATION_RULE} Every file is written under it with its path in the checkpoint.`}
        </FieldMessage>
        {start.error && !serverFields.destinationPath && (
          <div className="mt-3">
            <InlineError error={start.error} />
          </div>
        )}
        <DialogFooter>
          <DialogClose asChild>
            <Button variant="secondary">Cancel</Button>
          </DialogClose>
          <Button type="submit" disabled={touched && Boolean(localProblem)} pending={start.isPending}>
            Start export
          </Button>
        </DialogFooter>
      </form>
    );
  }

  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogTrigger asChild>
        <Button variant="secondary">Export</Button>
      </DialogTrigger>
      <DialogContent title="Export checkpoint" description="Copies every file to a bucket. The checkpoint stays usable while the export runs.">
        {body}
      </DialogContent>
    </Dialog>
  );
}
