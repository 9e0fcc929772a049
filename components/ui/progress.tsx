import { cn } from "./cn";

/**
 * A progress bar. Without `max` (total unknown) it shows an indeterminate stripe; `label`
 * names it for assistive technology and `valueText` reads the numbers out.
 */
export function Progress({
  value,
  max,
  label,
  valueText,
  tone = "accent",
  className,
}: {
  value: number;
  max?: number | null;
  label: string;
  valueText?: string;
  tone?: "accent" | "warning" | "danger";
  className?: string;
}) {
  const known = typeof max === "number" && max > 0;
  const percent = known ? Math.min(100, Math.max(0, (value / max) * 100)) : 0;
  const fill = { accent: "bg-accent-500", warning: "bg-amber-500", danger: "bg-red-500" }[tone];
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={known ? 100 : undefined}
      aria-valuenow={known ? Math.round(percent) : undefined}
      aria-valuetext={valueText}
      className={cn("relative h-1.5 w-full overflow-hidden rounded-full bg-zinc-200", className)}
    >
      {known ? (
        <div className={cn("h-full rounded-full transition-[width] duration-500", fill)} style={{ width: `${percent}%` }} />
      ) : (
        <div className={cn("absolute inset-y-0 w-1/3 animate-[cairn-indeterminate_1.4s_ease-in-out_infinite] rounded-full", fill)} />
      )}
    </div>
  );
}
