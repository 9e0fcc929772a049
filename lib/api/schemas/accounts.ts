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
