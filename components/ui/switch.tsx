"use client";

import type { ReactNode } from "react";
import { cn } from "./cn";

/** An on/off switch (`role="switch"`) with its visible label; Space and Enter toggle it, as for any button. */
export function Switch({
  checked,
  onChange,
  label,
  description,
  disabled,
  id,
  className,
}: {
  checked: boolean;
  onChange: (checked: boolean) => void;
  label: ReactNode;
  description?: ReactNode;
  disabled?: boolean;
  id: string;
  className?: string;
}) {
  const descriptionId = description ? `${id}-description` : undefined;
  return (
    <div className={cn("flex items-start gap-2.5", className)}>
      <button
        id={id}
        type="button"
        role="switch"
        aria-checked={checked}
        aria-describedby={descriptionId}
        disabled={disabled}
        onClick={() => onChange(!checked)}
        className={cn(
          "relative mt-0.5 inline-flex h-5 w-9 shrink-0 items-center rounded-full transition-colors disabled:cursor-not-allowed disabled:opacity-50",
          checked ? "bg-accent-600" : "bg-zinc-300",
        )}
      >
        <span
          aria-hidden
          className={cn("inline-block size-4 rounded-full bg-white shadow-sm transition-transform", checked ? "translate-x-[18px]" : "translate-x-0.5")}
        />
      </button>
      <div className="min-w-0 text-sm">
        <label htmlFor={id} className="cursor-pointer font-medium text-zinc-800">
          {label}
        </label>
        {description && (
          <p id={descriptionId} className="text-xs text-zinc-500">
            {description}
          </p>
        )}
      </div>
    </div>
  );
}
