import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { formatBytes } from "@/lib/format";
import { Progress } from "./ui/progress";

/** Bytes (and files) so far of a checkpoint in flight; against the total when the source knows it. */
export function CheckpointProgress({ checkpoint, detailed = false }: { checkpoint: CheckpointResponse; detailed?: boolean }) {
  const { progress, size, fileCount } = checkpoint.status;
  const done = Math.max(progress.bytesDone, size);
  const total = progress.bytesTotal;
  const files = Math.max(progress.filesDone, fileCount);
  const bytesText = total ? `${formatBytes(done)} of ${formatBytes(total)}` : `${formatBytes(done)} so far`;
  const filesText = progress.filesTotal ? `${files} of ${progress.filesTotal} files` : `${files} file${files === 1 ? "" : "s"}`;
  const text = detailed ? `${bytesText} · ${filesText}` : bytesText;
  return (
    <div className={detailed ? "w-full" : "mt-1.5 w-36"}>
      <Progress value={done} max={total} label={`Progress of ${checkpoint.metadata.name}`} valueText={text} />
      <p className="mt-1 text-[11px] text-zinc-500 tabular-nums">
        {text}
        {total ? ` · ${Math.floor((done / total) * 100)}%` : ""}
      </p>
    </div>
  );
}
