"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { useConnections } from "@/lib/hooks/use-connections";
import { providerLabel } from "./connection-provider";
import { Select } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

/**
 * Picks one of the organization's connections whose provider fits the source type, or none for
 * public sources. Submitted as the form field `connection` (the connection's name).
 */
export function ConnectionSelect({ providers, error }: { providers: readonly string[]; error?: string }) {
  const connections = useConnections();
  const fitting = (connections.data?.items ?? []).filter((c) => providers.includes(c.provider));
  const provider = providers[0] ?? "";
  const kind = providerLabel(provider);
  const createHref = `/connections?new=${encodeURIComponent(provider)}`;
  const messageId = "source-connection-message";

  let message: ReactNode;
  if (error) message = error;
  else if (connections.isError)
    message = (
      <>
        Could not load connections: {connections.error.message}{" "}
        <button type="button" className="font-medium text-accent-700 underline hover:no-underline" onClick={() => void connections.refetch()}>
          Retry
        </button>
      </>
    );
  else if (connections.isSuccess && fitting.length === 0)
    message = (
      <>
        No {kind} connections yet.{" "}
        <Link href={createHref} target="_blank" className="font-medium text-accent-700 underline hover:no-underline">
          Create one
        </Link>{" "}
        for private data.
      </>
    );
  else
    message = (
      <>
        For private data.{" "}
        <Link href={createHref} target="_blank" className="font-medium text-accent-700 underline hover:no-underline">
          New connection
        </Link>
      </>
    );

  return (
    <div>
      <Label htmlFor="source-connection">Connection</Label>
      <Select
        id="source-connection"
        name="connection"
        defaultValue=""
        disabled={connections.isPending}
        aria-invalid={error ? true : undefined}
        aria-describedby={messageId}
        className={error ? "mt-1.5 w-full border-red-400" : "mt-1.5 w-full"}
      >
        {connections.isPending ? (
          <option value="">Loading connections…</option>
        ) : (
          <>
            <option value="">None (public)</option>
            {fitting.map((c) => (
              <option key={c.id} value={c.name}>
                {c.name}
              </option>
            ))}
          </>
        )}
      </Select>
      <FieldMessage id={messageId} error={Boolean(error || connections.isError)}>
        {message}
      </FieldMessage>
    </div>
  );
}
