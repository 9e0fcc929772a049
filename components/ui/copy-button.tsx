"use client";

import { useEffect, useState } from "react";
import { Button, type ButtonProps } from "./button";

/** Copies `value` to the clipboard and confirms with "Copied" for a moment. */
export function CopyButton({ value, label = "Copy", size = "sm", variant = "secondary", ...props }: Omit<ButtonProps, "onClick" | "value"> & { value: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 1800);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setState("copied");
    } catch {
      setState("failed");
    }
  }

  return (
    <Button size={size} variant={variant} onClick={copy} {...props}>
      <span aria-live="polite">{state === "copied" ? "Copied" : state === "failed" ? "Copy failed" : label}</span>
    </Button>
  );
}
