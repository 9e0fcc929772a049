"use client";

import { useMe, useSwitchOrg } from "@/lib/hooks/use-me";
import { Select } from "./ui/input";

/** Picks the current organization; shown only to users in more than one. */
export function OrgSwitcher({ id = "org-switcher", className = "w-60 text-xs" }: { id?: string; className?: string }) {
  const { data: me } = useMe();
  const switchOrg = useSwitchOrg();
  if (!me || me.orgs.length < 2) return null;
  return (
    <div className="flex items-center">
      <label htmlFor={id} className="sr-only">
        Organization
      </label>
      <Select id={id} value={me.org.id} onChange={(event) => void switchOrg(event.target.value)} className={className}>
        {me.orgs.map((org) => (
          <option key={org.id} value={org.id}>
            {org.name} · {org.role}
          </option>
        ))}
      </Select>
    </div>
  );
}
