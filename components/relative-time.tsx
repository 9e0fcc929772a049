import { formatAge } from "@/lib/format";

/** An age like `2h`, with the exact local time (and ISO) on hover. */
export function RelativeTime({ at, suffix = "" }: { at: string; suffix?: string }) {
  const date = new Date(at);
  return (
    <time dateTime={at} title={`${date.toLocaleString()} (${at})`} className="tabular-nums">
      {formatAge(date)}
      {suffix}
    </time>
  );
}
