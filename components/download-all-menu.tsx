"use client";

import { archivePath } from "@/lib/query/exports";
import { buttonClasses } from "./ui/button";

/** *Download all*: the whole checkpoint as one streamed tar or zip. */
export function DownloadAllMenu({ checkpointId, name }: { checkpointId: string; name: string }) {
  const item = "block rounded px-3 py-1.5 text-sm text-zinc-800 hover:bg-zinc-100 focus-visible:bg-zinc-100 focus-visible:outline-none";
  return (
    <details className="group relative">
      <summary className={buttonClasses({ variant: "secondary", className: "cursor-pointer list-none [&::-webkit-details-marker]:hidden" })}>
        Download all
        <svg aria-hidden viewBox="0 0 16 16" className="size-3.5 transition-transform group-open:rotate-180" fill="none" stroke="currentColor" strokeWidth="1.5">
          <path d="M4 6l4 4 4-4" />
        </svg>
      </summary>
      <div className="absolute right-0 z-20 mt-1 w-44 rounded-md border border-zinc-200 bg-white p-1 shadow-lg">
        <a href={archivePath(checkpointId, "tar")} download={`${name}.tar`} className={item}>
          Download as .tar
        </a>
        <a href={archivePath(checkpointId, "zip")} download={`${name}.zip`} className={item}>
          Download as .zip
        </a>
      </div>
    </details>
  );
}
