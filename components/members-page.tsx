"use client";

import { useMe } from "@/lib/hooks/use-me";
import { AddMemberForm } from "./add-member-form";
import { MemberList } from "./member-list";
import { OrgDomainsForm } from "./org-domains-form";

/** Members of the current organization; owners and admins can add people. */
export function MembersPage() {
  const { data: me } = useMe();
  const canManage = me?.org.role === "owner" || me?.org.role === "admin";
  const current = me?.orgs.find((o) => o.id === me.org.id);
  const orgName = current?.name;
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">Members</h1>
        <p className="mt-1 text-sm text-zinc-500">{orgName ? `People in ${orgName} and what they may do.` : "\u00a0"}</p>
        {current?.slug && (
          <p className="mt-1 text-sm text-zinc-500">
            Slug <code className="font-mono text-zinc-800">{current.slug}</code>: Hugging Face clients name this organization&apos;s checkpoints{" "}
            <code className="font-mono text-zinc-800">{current.slug}/&lt;checkpoint&gt;</code>.
          </p>
        )}
      </div>
      {me && canManage && (
        <section className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="add-member-heading">
          <h2 id="add-member-heading" className="mb-3 text-sm font-semibold text-zinc-900">
            Add member
          </h2>
          <AddMemberForm actorRole={me.org.role} />
        </section>
      )}
      <MemberList currentUserId={me?.user.id} />
      {me && <OrgDomainsForm canEdit={canManage} />}
    </div>
  );
}
