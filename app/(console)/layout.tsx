import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { AppShell } from "@/components/app-shell";
import { auth } from "@/lib/auth/config";

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const session = await auth();
  if (!session?.user) redirect("/signin");
  return <AppShell email={session.user.email ?? ""}>{children}</AppShell>;
}
