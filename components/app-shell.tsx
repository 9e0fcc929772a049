import Link from "next/link";
import type { ReactNode } from "react";
import { CairnMark } from "./cairn-mark";
import { MainNav } from "./main-nav";
import { MobileNav } from "./mobile-nav";
import { OrgSwitcher } from "./org-switcher";
import { UserMenu } from "./user-menu";

/** The console frame: brand, navigation, organization and account in one top bar (a menu on narrow screens). */
export function AppShell({ email, children }: { email: string; children: ReactNode }) {
  return (
    <div className="flex min-h-screen flex-col">
      <header className="sticky top-0 z-30 border-b border-zinc-200 bg-white/90 backdrop-blur">
        <div className="mx-auto flex h-14 max-w-7xl items-center gap-6 px-4 sm:px-6">
          <Link href="/checkpoints" className="flex items-center gap-2 text-zinc-900">
            <CairnMark className="size-6" />
            <span className="text-[15px] font-semibold tracking-tight">Cairn</span>
          </Link>
          <MainNav />
          <div className="ml-auto flex items-center gap-3">
            <div className="hidden xl:block">
              <OrgSwitcher />
            </div>
            <UserMenu email={email} />
            <MobileNav email={email} />
          </div>
        </div>
      </header>
      <main className="mx-auto w-full max-w-7xl flex-1 px-4 py-8 sm:px-6">{children}</main>
    </div>
  );
}
