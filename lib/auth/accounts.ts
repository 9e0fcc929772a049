import { ApiError } from "@/lib/api/errors";
import type { AddMemberBody, CreateUserBody, MemberAddedResponse, MemberResponse, SignUpResponse, TokenCreatedResponse, TokenResponse } from "@/lib/api/schemas/accounts";
import { config } from "@/lib/config";
import type { Db } from "@/lib/db/client";
import { isUniqueViolation } from "@/lib/db/errors";
import {
  deleteApiToken,
  findUserByEmail,
  findUserByTokenHash,
  insertApiToken,
  insertUserWithOrg,
  listApiTokens,
  listMembers,
  upsertMembership,
} from "@/lib/db/queries/accounts";
import type { User } from "@/lib/db/schema";
import { dummyPasswordHash, hashPassword, verifyPassword } from "./passwords";
import { generateToken, hashToken } from "./tokens";

export async function signUp(db: Db, input: CreateUserBody): Promise<SignUpResponse> {
  if (!config().signupEnabled) {
    throw new ApiError("forbidden", "Sign-up is turned off on this server. Ask an administrator to add you to an organization.");
  }
  if (!config().passwordSignIn) {
    throw new ApiError("forbidden", `Password sign-in is turned off on this server: create your account by signing in to the console with ${config().oidc?.name ?? "single sign-on"}.`);
  }
  if (await findUserByEmail(db, input.email)) {
    throw new ApiError("conflict", "An account with this email already exists. Sign in instead.");
  }
  const passwordHash = await hashPassword(input.password);
  const displayName = input.name || input.email.split("@")[0];
  try {
    const { user, org } = await insertUserWithOrg(db, {
      email: input.email,
      name: input.name || null,
      passwordHash,
      orgName: `${displayName}'s org`,
    });
    return { id: user.id, email: user.email, orgId: org.id };
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw new ApiError("conflict", "An account with this email already exists. Sign in instead.");
    }
    throw error;
  }
}

/** The user behind an email and password, or null; takes the same time either way. */
export async function verifyCredentials(db: Db, email: string, password: string): Promise<User | null> {
  const user = await findUserByEmail(db, email);
  const ok = await verifyPassword(user?.passwordHash ?? (await dummyPasswordHash()), password);
  return user && ok ? user : null;
}

export async function userForToken(db: Db, token: string): Promise<User | null> {
  return findUserByTokenHash(db, hashToken(token));
}

export async function issueToken(db: Db, { userId, name }: { userId: string; name: string }): Promise<TokenCreatedResponse> {
  const { token, tokenHash, prefix } = generateToken();
  const row = await insertApiToken(db, { userId, name, tokenHash, prefix });
  return { id: row.id, name: row.name, token, createdAt: row.createdAt.toISOString() };
}

export async function tokensOf(db: Db, { userId }: { userId: string }): Promise<TokenResponse[]> {
  const rows = await listApiTokens(db, { userId });
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.createdAt.toISOString(),
    lastUsedAt: row.lastUsedAt?.toISOString() ?? null,
  }));
}

export async function revokeToken(db: Db, { userId, id }: { userId: string; id: string }) {
  if (!(await deleteApiToken(db, { userId, id }))) throw new ApiError("not_found", "That token was not found.");
}

export async function membersOf(db: Db, { orgId }: { orgId: string }): Promise<MemberResponse[]> {
  const rows = await listMembers(db, { orgId });
  return rows.map((row) => ({ ...row, joinedAt: row.joinedAt.toISOString() }));
}

/** Adds an existing user to the org (or changes their role); only owners may make owners. */
export async function addMember(db: Db, { orgId, actorRole }: { orgId: string; actorRole: string }, input: AddMemberBody): Promise<MemberAddedResponse> {
  if (input.role === "owner" && actorRole !== "owner") {
    throw new ApiError("forbidden", "Only an owner can make someone an owner.");
  }
  const user = await findUserByEmail(db, input.email);
  if (!user) {
    throw new ApiError("not_found", `No account uses ${input.email}. Ask them to sign up first, then add them.`);
  }
  await upsertMembership(db, { orgId, userId: user.id, role: input.role });
  return { userId: user.id, email: user.email, role: input.role };
}
