import type { CheckpointFileResponse } from "@/lib/api/schemas/checkpoints";
import { formatBytes } from "@/lib/format";
import { fileDownloadPath } from "@/lib/query/checkpoints";
import { buttonClasses } from "./ui/button";
import { CopyButton } from "./ui/copy-button";
import { EmptyState } from "./ui/empty-state";
import { Table, TableBody, TableCell, TableHead, TableHeaderCell, TableRow } from "./ui/table";

/** The files of a checkpoint: path, size, SHA-256 and a download link each. */
export function FileTable({ checkpointId, files }: { checkpointId: string; files: CheckpointFileResponse[] }) {
  if (files.length === 0) {
    return <EmptyState title="No files yet" description="Files appear here as they arrive." />;
  }
  return (
    <Table aria-label="Files">
      <TableHead>
        <tr>
          <TableHeaderCell>Path</TableHeaderCell>
          <TableHeaderCell className="text-right">Size</TableHeaderCell>
          <TableHeaderCell>SHA-256</TableHeaderCell>
          <TableHeaderCell className="w-24">
            <span className="sr-only">Download</span>
          </TableHeaderCell>
        </tr>
      </TableHead>
      <TableBody>
        {files.map((file) => (
          <TableRow key={file.path}>
            <TableCell className="max-w-md truncate font-mono text-xs text-zinc-900" title={file.path}>
              {file.path}
            </TableCell>
            <TableCell className="text-right whitespace-nowrap tabular-nums" title={`${file.size.toLocaleString()} bytes`}>
              {formatBytes(file.size)}
            </TableCell>
            <TableCell>
              <div className="flex items-center gap-2">
                <code className="font-mono text-xs text-zinc-600" title={file.sha256} aria-label={`SHA-256 ${file.sha256}`}>
                  {file.sha256.slice(0, 12)}…
                </code>
                <CopyButton value={file.sha256} label="Copy" variant="ghost" aria-label={`Copy SHA-256 of ${file.path}`} />
              </div>
            </TableCell>
            <TableCell className="text-right">
              <a
                  href={fileDownloadPath(checkpointId, file.path)}
                  download={file.path.split("/").pop()}
                  className={buttonClasses({ variant: "secondary", size: "sm" })}
                  aria-label={`Download ${file.path}`}
                >
                  Download
                </a>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
