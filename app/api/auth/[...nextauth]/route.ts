import type { NextRequest } from "next/server";
import { handlers } from "@/lib/auth/config";
import { limitCredentialsSignIn } from "@/lib/auth/rate-limit";

export const { GET } = handlers;

/** Auth.js; sign-in by email and password is held to the failed-sign-in limits first. */
export async function POST(request: NextRequest): Promise<Response> {
  if (!request.nextUrl.pathname.endsWith("/callback/credentials")) return handlers.POST(request);
  return limitCredentialsSignIn(request, () => handlers.POST(request));
}
