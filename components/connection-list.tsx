"use client";

import { useState } from "react";
import type { ConnectionResponse } from "@/lib/api/schemas/connections";
import { useDeleteConnection, useTestConnection } from "@/lib/hooks/use-connections";
import { connectionFieldsOf } from "./connection-fields";
import { connectionSummary, ProviderBadge } from "./connection-provider";
import { RelativeTime } from "./relative-time";
import { Button } from "./ui/button";
import { cn } from "./ui/cn";
import { Dialog, DialogClose, DialogContent, DialogFooter } from "./ui/dialog";
import { InlineError } from "./ui/error-state";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

function secretLabels(connection: ConnectionResponse): string {
  const fields = connectionFieldsOf(connection.provider);
  const names = connection.secretFields.map((key) => fields.find((f) => f.key === key)?.label.toLowerCase() ?? key);
  return names.length ? names.join(", ") : "none (public access)";
}

function DeleteConnectionDialog({ connection, onClose }: { connection: ConnectionResponse | null; onClose: () => void }) {
  const remove = useDeleteConnection();
  return (
    <Dialog
      open={connection !== null}
      onOpenChange={(open) => {
        if (!open) {
          remove.reset();
          onClose();
        }
      }}
    >
      {connection && (
        <DialogContent
          title="Delete connection"
          description={
            <>
              Checkpoints already ingested keep their files, but new checkpoints can no longer use <strong>{connection.name}</strong>. Its
              credentials are erased. This cannot be undone.
            </>
          }
        >
          {remove.error && <InlineError error={remove.error} />}
          <DialogFooter>
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button variant="danger" pending={remove.isPending} onClick={() => remove.mutate(connection.id, { onSuccess: onClose })}>
              Delete connection
            </Button>
          </DialogFooter>
        </DialogContent>
      )}
    </Dialog>
  );
}

/** The outcome of the last Test of a row: the server's sentence, green or red. */
function TestResult({ test }: { test: ReturnType<typeof useTestConnection> }) {
  if (test.isIdle || test.isPending) return null;
  const ok = test.data?.ok === true;
  const message = test.data?.message ?? (test.error instanceof Error ? test.error.message : "The test could not run.");
  return (
    <p role="status" className={cn("mt-1.5 flex items-start gap-1.5 text-xs", ok ? "text-emerald-700" : "text-red-700")}>
      <span aria-hidden className={cn("mt-1 size-1.5 shrink-0 rounded-full", ok ? "bg-emerald-500" : "bg-red-500")} />
      <span>
        <span className="sr-only">{ok ? "Test passed: " : "Test failed: "}</span>
        {message}
      </span>
    </p>
  );
}

function ConnectionRow({ connection, canWrite, onDelete }: { connection: ConnectionResponse; canWrite: boolean; onDelete: () => void }) {
  const test = useTestConnection();
  const summary = connectionSummary(connection);
  return (
    <TableRow>
      <TableCell className="align-top">
        <span className="font-mono text-sm font-medium whitespace-nowrap text-zinc-900">{connection.name}</span>
        <TestResult test={test} />
      </TableCell>
      <TableCell className="align-top">
        <ProviderBadge provider={connection.provider} />
      </TableCell>
      <TableCell className="align-top text-xs text-zinc-600">
        {summary.length === 0 ? (
          <span className="text-zinc-400">Provider defaults</span>
        ) : (
          <ul className="space-y-0.5">
            {summary.map(({ label, value }) => (
              <li key={label} className="max-w-xs truncate" title={value || label}>
                <span className="text-zinc-400">{label}</span> {value && <span className="font-mono text-zinc-700">{value}</span>}
              </li>
            ))}
          </ul>
        )}
        <p className="mt-0.5 text-zinc-400">secrets: {secretLabels(connection)}</p>
      </TableCell>
      <TableCell className="align-top whitespace-nowrap text-zinc-500">
        <RelativeTime at={connection.createdAt} suffix=" ago" />
      </TableCell>
      <TableCell className="align-top text-right whitespace-nowrap">
        {canWrite && (
          <div className="flex justify-end gap-1">
            <Button variant="secondary" size="sm" pending={test.isPending} onClick={() => test.mutate(connection.id)} aria-label={`Test ${connection.name}`}>
              Test
            </Button>
            <Button variant="ghost" size="sm" className="text-red-600 hover:bg-red-50 hover:text-red-700" onClick={onDelete} aria-label={`Delete ${connection.name}`}>
              Delete
            </Button>
          </div>
        )}
      </TableCell>
    </TableRow>
  );
}

/** The organization's storage connections; writers can test and delete them. */
export function ConnectionList({ connections, canWrite }: { connections: ConnectionResponse[]; canWrite: boolean }) {
  const [deleting, setDeleting] = useState<ConnectionResponse | null>(null);
  return (
    <>
      <Table aria-label="Connections">
        <TableHead>
          <tr>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Provider</TableHeaderCell>
            <TableHeaderCell>Settings</TableHeaderCell>
            <TableHeaderCell>Created</TableHeaderCell>
            <TableHeaderCell className="relative w-32">
              <span className="sr-only">Actions</span>
            </TableHeaderCell>
          </tr>
        </TableHead>
        <TableBody>
          {connections.map((connection) => (
            <ConnectionRow key={connection.id} connection={connection} canWrite={canWrite} onDelete={() => setDeleting(connection)} />
          ))}
        </TableBody>
      </Table>
      <DeleteConnectionDialog connection={deleting} onClose={() => setDeleting(null)} />
    </>
  );
}
