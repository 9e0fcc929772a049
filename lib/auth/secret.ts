import { persistentSecret } from "@/lib/config";

/** Signs session cookies: `AUTH_SECRET`, or a key generated into the data directory. */
export function authSecret(): string {
  return persistentSecret("AUTH_SECRET", "auth-secret");
}
