"use client";

import { useState, type FormEvent } from "react";
import { ApiClientError } from "@/lib/api/client";
import type { Role } from "@/lib/auth/kinds";
import { useAddMember } from "@/lib/hooks/use-members";
import { Button } from "./ui/button";
import { InlineError } from "./ui/error-state";
import { Input, Select } from "./ui/input";
import { FieldMessage, Label } from "./ui/label";

export const roleLabels: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member", viewer: "Viewer" };

/** Adds an existing Cairn user to the current organization; only owners may grant "owner". */
export function AddMemberForm({ actorRole }: { actorRole: Role }) {
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("member");
  const add = useAddMember();
  const fields = add.error instanceof ApiClientError ? add.error.fields : {};
  const roles = (Object.keys(roleLabels) as Role[]).filter((r) => r !== "owner" || actorRole === "owner");

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    add.mutate({ email: email.trim(), role }, { onSuccess: () => setEmail("") });
  }

  return (
    <form onSubmit={submit} className="space-y-3">
      <div className="flex flex-wrap items-end gap-2">
        <div className="w-full max-w-xs">
          <Label htmlFor="member-email">Email</Label>
          <Input
            id="member-email"
            type="email"
            value={email}
            onChange={(event) => {
              setEmail(event.target.value);
              if (add.error) add.reset();
            }}
            placeholder="colleague@example.com"
            required
            aria-invalid={fields.email ? true : undefined}
            aria-describedby={fields.email ? "member-email-message" : undefined}
            className="mt-1.5"
          />
        </div>
        <div>
          <Label htmlFor="member-role">Role</Label>
          <Select id="member-role" value={role} onChange={(event) => setRole(event.target.value as Role)} className="mt-1.5 w-36">
            {roles.map((r) => (
              <option key={r} value={r}>
                {roleLabels[r]}
              </option>
            ))}
          </Select>
        </div>
        <Button type="submit" pending={add.isPending} disabled={email.trim() === ""}>
          Add member
        </Button>
      </div>
      {fields.email && (
        <FieldMessage id="member-email-message" error>
          {fields.email}
        </FieldMessage>
      )}
      {add.error && !fields.email && <InlineError error={add.error} />}
      {add.isSuccess && (
        <p role="status" className="text-sm text-emerald-700">
          Added {add.data.email} as {roleLabels[add.data.role]}.
        </p>
      )}
      <p className="text-xs text-zinc-500">They need a Cairn account first. Viewers can read; members can create and delete checkpoints; admins can also manage members.</p>
    </form>
  );
}
