/** The enumerations of accounts, shared by the schema, the API and the browser (no server imports). */
export const roles = ["owner", "admin", "member", "viewer"] as const;
export type Role = (typeof roles)[number];
