import type { LabelHTMLAttributes, ReactNode } from "react";
import { cn } from "./cn";

export function Label({ className, ...props }: LabelHTMLAttributes<HTMLLabelElement>) {
  return <label className={cn("block text-sm font-medium text-zinc-800", className)} {...props} />;
}

/** The message under a form field: an error (announced) or a hint. */
export function FieldMessage({ id, error, children }: { id: string; error?: boolean; children: ReactNode }) {
  return (
    <p id={id} role={error ? "alert" : undefined} className={cn("mt-1.5 text-xs", error ? "text-red-600" : "text-zinc-500")}>
      {children}
    </p>
  );
}
