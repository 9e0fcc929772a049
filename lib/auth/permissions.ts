import type { Role } from "@/lib/db/schema";

/** What a route needs: `read` any member, `write` all but viewers, `admin` owners and admins. */
export type Permission = "read" | "write" | "admin";

const allowed: Record<Permission, readonly Role[]> = {
  read: ["owner", "admin", "member", "viewer"],
  write: ["owner", "admin", "member"],
  admin: ["owner", "admin"],
};

export function can(role: Role, permission: Permission): boolean {
  return allowed[permission].includes(role);
}
