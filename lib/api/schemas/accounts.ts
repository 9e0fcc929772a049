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
