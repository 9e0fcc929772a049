"use client";

import { useState } from "react";
import { useRevokeToken, useTokens } from "@/lib/hooks/use-tokens";
import type { ApiTokenSummary } from "@/lib/query/tokens";
import { RelativeTime } from "./relative-time";
import { Button } from "./ui/button";
import { Dialog, DialogClose, DialogContent, DialogFooter } from "./ui/dialog";
import { EmptyState } from "./ui/empty-state";
import { ErrorState, InlineError } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

function RevokeTokenDialog({ token, onClose }: { token: ApiTokenSummary | null; onClose: () => void }) {
  const revoke = useRevokeToken();
  return (
    <Dialog
      open={token !== null}
      onOpenChange={(open) => {
        if (!open) {
          revoke.reset();
          onClose();
        }
      }}
    >
      {token && (
        <DialogContent title="Revoke token" description={<>Scripts using <strong>{token.name}</strong> stop working at once. This cannot be undone.</>}>
          {revoke.error && <InlineError error={revoke.error} />}
          <DialogFooter>
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button variant="danger" pending={revoke.isPending} onClick={() => revoke.mutate(token.id, { onSuccess: onClose })}>
              Revoke token
            </Button>
          </DialogFooter>
        </DialogContent>
      )}
    </Dialog>
  );
}

export function TokenList() {
  const tokens = useTokens();
  const [revoking, setRevoking] = useState<ApiTokenSummary | null>(null);

  if (tokens.isPending) {
    return (
      <div className="space-y-2" aria-busy="true" aria-label="Loading tokens">
        {Array.from({ length: 3 }, (_, i) => (
          <Skeleton key={i} className="h-11 w-full" />
        ))}
      </div>
    );
  }
  if (tokens.isError) return <ErrorState title="Could not load tokens" error={tokens.error} onRetry={() => void tokens.refetch()} />;
  if (tokens.data.items.length === 0) {
    return <EmptyState title="No tokens yet" description="Create a token to use the API or the CLI from scripts and CI." />;
  }
  return (
    <>
      <Table aria-label="API tokens">
        <TableHead>
          <tr>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Token</TableHeaderCell>
            <TableHeaderCell>Created</TableHeaderCell>
            <TableHeaderCell>Last used</TableHeaderCell>
            <TableHeaderCell className="w-24">
              <span className="sr-only">Actions</span>
            </TableHeaderCell>
          </tr>
        </TableHead>
        <TableBody>
          {tokens.data.items.map((token) => (
            <TableRow key={token.id}>
              <TableCell className="min-w-40 font-medium break-words text-zinc-900">{token.name}</TableCell>
              <TableCell className="whitespace-nowrap">
                <code className="font-mono text-xs text-zinc-600">{token.prefix}…</code>
              </TableCell>
              <TableCell className="whitespace-nowrap text-zinc-500">
                <RelativeTime at={token.createdAt} suffix=" ago" />
              </TableCell>
              <TableCell className="whitespace-nowrap text-zinc-500">{token.lastUsedAt ? <RelativeTime at={token.lastUsedAt} suffix=" ago" /> : "Never"}</TableCell>
              <TableCell className="text-right">
                <Button variant="ghost" size="sm" className="text-red-600 hover:bg-red-50 hover:text-red-700" onClick={() => setRevoking(token)} aria-label={`Revoke ${token.name}`}>
                  Revoke
                </Button>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
      <RevokeTokenDialog token={revoking} onClose={() => setRevoking(null)} />
    </>
  );
}
