"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { isCurrentSection, navLinks } from "./nav-links";
import { cn } from "./ui/cn";

/**
 * The top bar's links, from the `xl` breakpoint up (all sections, a long organization name and the
 * account need about 1200 px); narrower screens get `MobileNav`'s menu.
 */
export function MainNav() {
  const pathname = usePathname();
  return (
    // Should a section be added past what fits, the links scroll sideways rather than push the
    // account menu off screen.
    <nav aria-label="Main" className="hidden min-w-0 items-center gap-1 overflow-x-auto [scrollbar-width:none] xl:flex">
      {navLinks.map((link) => {
        const active = isCurrentSection(pathname, link.href);
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
