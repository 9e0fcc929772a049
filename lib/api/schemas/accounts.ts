import { z } from "zod";
import { roles } from "@/lib/auth/kinds";

export const createUserBody = z.object({
  email: z.email("Enter a valid email address").max(254),
  password: z.string().min(8, "Use at least 8 characters").max(256),
  name: z.string().trim().max(100).optional(),
});
export type CreateUserBody = z.infer<typeof createUserBody>;

export const createTokenBody = z.object({
  name: z.string().trim().min(1, "Give the token a name").max(100),
});
export type CreateTokenBody = z.infer<typeof createTokenBody>;

export const addMemberBody = z.object({
  email: z.email("Enter a valid email address"),
  role: z.enum(roles).default("member"),
});
export type AddMemberBody = z.infer<typeof addMemberBody>;

export const updateOrgBody = z.object({
  name: z.string().trim().min(1, "Give the organization a name").max(100).optional(),
  slug: z
    .string()
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "Use 1–40 lower-case letters, digits and dashes, not starting or ending with a dash")
    .optional(),
  allowedEmailDomains: z
    .array(
      z
        .string()
        .trim()
        .toLowerCase()
        .regex(/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}$/, "Enter domains like example.com, without @ or a scheme"),
    )
    .max(50)
    .optional(),
});
export type UpdateOrgBody = z.infer<typeof updateOrgBody>;

export const signUpResponse = z.object({ id: z.string(), email: z.string(), orgId: z.string().describe("The organization the new user owns.") });
export type SignUpResponse = z.infer<typeof signUpResponse>;

export const tokenCreatedResponse = z.object({
  id: z.string(),
  name: z.string(),
  token: z.string().describe("The secret: shown only in this answer. Send it as `Authorization: Bearer <token>`."),
  createdAt: z.string(),
});
export type TokenCreatedResponse = z.infer<typeof tokenCreatedResponse>;

export const tokenResponse = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string().describe("The first characters of the token, to tell tokens apart."),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});
export type TokenResponse = z.infer<typeof tokenResponse>;
export const tokenListResponse = z.object({ items: z.array(tokenResponse) });

export const memberResponse = z.object({ userId: z.string(), email: z.string(), name: z.string().nullable(), role: z.enum(roles), joinedAt: z.string() });
export type MemberResponse = z.infer<typeof memberResponse>;
export const memberListResponse = z.object({ items: z.array(memberResponse) });
export const memberAddedResponse = z.object({ userId: z.string(), email: z.string(), role: z.enum(roles) });
export type MemberAddedResponse = z.infer<typeof memberAddedResponse>;

/** `GET /me`: the signed-in user, the current organization and its storage use, and every organization they belong to. */
export const meResponse = z.object({
  user: z.object({ id: z.string(), email: z.string(), name: z.string().nullable() }),
  org: z.object({
    id: z.string(),
    role: z.enum(roles),
    usageBytes: z.number().describe("Unique bytes (each blob once) plus uploads in flight, as the quota counts them."),
    logicalBytes: z.number(),
    quotaBytes: z.number(),
  }),
  orgs: z.array(z.object({ id: z.string(), name: z.string(), slug: z.string(), role: z.enum(roles) })),
});
export type MeResponse = z.infer<typeof meResponse>;

export const orgResponse = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string().describe("URL-safe and unique: the namespace of Hugging Face repo ids (`<slug>/<checkpoint>`)."),
  allowedEmailDomains: z.array(z.string()).describe("Single sign-on users of these domains join as members."),
  role: z.enum(roles).describe("The caller's role in it."),
  createdAt: z.string(),
});
export type OrgResponse = z.infer<typeof orgResponse>;
