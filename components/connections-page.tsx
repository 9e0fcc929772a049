"use client";

import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { useState } from "react";
import { useConnections } from "@/lib/hooks/use-connections";
import { useCanWrite, useMe } from "@/lib/hooks/use-me";
import { ConnectionList } from "./connection-list";
import { CreateConnectionForm } from "./create-connection-form";
import { Button } from "./ui/button";
import { EmptyState } from "./ui/empty-state";
import { ErrorState } from "./ui/error-state";
import { Skeleton } from "./ui/skeleton";

function KeyIcon() {
  return (
    <svg aria-hidden viewBox="0 0 24 24" className="size-8" fill="none" stroke="currentColor" strokeWidth="1.5">
      <circle cx="8" cy="15" r="4" />
      <path d="M10.8 12.2 20 3m-3 3 2 2m-5 1 2 2" />
    </svg>
  );
}

/**
 * The organization's storage connections. `?new=<provider>` opens the create form for that
 * provider, which is where the checkpoint form's "create one" link leads.
 */
export function ConnectionsPage() {
  const searchParams = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const requested = searchParams.get("new");
  const connections = useConnections();
  const me = useMe();
  const canWrite = useCanWrite();
  const [formOpen, setFormOpen] = useState(requested !== null);
  const [created, setCreated] = useState<string | null>(null);

  function closeForm() {
    setFormOpen(false);
    if (requested !== null) router.replace(pathname);
  }

  const showForm = canWrite && formOpen;
  return (
    <div className="space-y-6">
      <div className="flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Connections</h1>
          <p className="mt-1 text-sm text-zinc-500">Credentials for buckets, hubs and repositories that checkpoints are ingested from.</p>
        </div>
        {canWrite && !showForm && (
          <Button
            onClick={() => {
              setCreated(null);
              setFormOpen(true);
            }}
          >
            New connection
          </Button>
        )}
      </div>
      {me.data && !canWrite && (
        <p className="rounded-md border border-zinc-200 bg-zinc-50 px-3 py-2 text-sm text-zinc-600">
          You are a viewer in this organization: you can see its connections but not add, test or delete them.
        </p>
      )}
      {created && !showForm && (
        <div role="status" className="flex flex-wrap items-center justify-between gap-2 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">
          <span>
            Connection <strong className="font-mono">{created}</strong> created. Its secret is stored encrypted and will not be shown again.
          </span>
          <Link href="/checkpoints/new" className="font-medium underline hover:no-underline">
            Create a checkpoint with it →
          </Link>
        </div>
      )}
      {showForm && (
        <section className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="new-connection-heading">
          <h2 id="new-connection-heading" className="mb-4 text-sm font-semibold text-zinc-900">
            New connection
          </h2>
          <CreateConnectionForm
            initialProvider={requested}
            onCreated={(name) => {
              setCreated(name);
              closeForm();
            }}
            onCancel={closeForm}
          />
        </section>
      )}
      {connections.isPending ? (
        <div className="space-y-2" aria-busy="true" aria-label="Loading connections">
          {Array.from({ length: 3 }, (_, i) => (
            <Skeleton key={i} className="h-14 w-full" />
          ))}
        </div>
      ) : connections.isError ? (
        <ErrorState title="Could not load connections" error={connections.error} onRetry={() => void connections.refetch()} />
      ) : connections.data.items.length === 0 ? (
        !showForm && (
          <EmptyState
          icon={<KeyIcon />}
          title="No connections yet"
          description="Public buckets, repositories and URLs need none. Add a connection to ingest from private S3, GCS or Azure storage, Hugging Face, Git or Kaggle."
          action={canWrite ? <Button onClick={() => setFormOpen(true)}>Add a connection</Button> : undefined}
          />
        )
      ) : (
        <ConnectionList connections={connections.data.items} canWrite={canWrite} />
      )}
    </div>
  );
}
