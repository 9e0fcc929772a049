import type { InputHTMLAttributes } from "react";
import { Input } from "@/components/ui/input";
import { FieldMessage, Label } from "@/components/ui/label";

/** A labelled input of the auth forms, with its error or hint underneath. */
export function AuthField({ id, label, error, hint, ...props }: InputHTMLAttributes<HTMLInputElement> & { id: string; label: string; error?: string; hint?: string }) {
  const messageId = `${id}-message`;
  return (
    <div>
      <Label htmlFor={id}>{label}</Label>
      <Input
        id={id}
        name={id}
        className="mt-1.5"
        aria-invalid={error ? true : undefined}
        aria-describedby={error || hint ? messageId : undefined}
        {...props}
      />
      {error ? (
        <FieldMessage id={messageId} error>
          {error}
        </FieldMessage>
      ) : hint ? (
        <FieldMessage id={messageId}>{hint}</FieldMessage>
      ) : null}
    </div>
  );
}
