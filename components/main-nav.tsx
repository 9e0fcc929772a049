"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { cn } from "./ui/cn";

const links = [
  { href: "/checkpoints", label: "Checkpoints" },
  { href: "/jobs", label: "Jobs" },
  { href: "/catalog", label: "Catalog" },
  { href: "/connections", label: "Connections" },
  { href: "/tokens", label: "Tokens" },
  { href: "/members", label: "Members" },
];

export function MainNav() {
  const pathname = usePathname();
  return (
    // On narrow screens the links scroll sideways instead of pushing the account menu off screen.
    <nav aria-label="Main" className="flex min-w-0 items-center gap-1 overflow-x-auto [scrollbar-width:none]">
      {links.map((link) => {
        const active = pathname === link.href || pathname.startsWith(`${link.href}/`);
        return (
          <Link
            key={link.href}
            href={link.href}
            aria-current={active ? "page" : undefined}
            className={cn(
              "shrink-0 rounded-md px-2.5 py-1.5 text-sm font-medium transition-colors",
              active ? "bg-zinc-100 text-zinc-900" : "text-zinc-500 hover:bg-zinc-50 hover:text-zinc-900",
            )}
          >
            {link.label}
          </Link>
        );
      })}
    </nav>
  );
}
