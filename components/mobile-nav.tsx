"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import { useCallback, useEffect, useId, useRef, useState, type FocusEvent } from "react";
import { isCurrentSection, navLinks } from "./nav-links";
import { OrgSwitcher } from "./org-switcher";
import { cn } from "./ui/cn";

/**
 * Below the `xl` breakpoint the top bar has no room for the sections: a Menu button opens them in a
 * panel under the bar. It closes on navigation, Escape (focus goes back to the button), a click
 * outside, or when focus leaves it; opening moves focus to the first section.
 */
export function MobileNav({ email }: { email: string }) {
  const pathname = usePathname();
  // Open at one path: navigating anywhere else closes it, with no effect to run on navigation.
  const [openAt, setOpenAt] = useState<string | null>(null);
  const open = openAt === pathname;
  const panelId = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const panelRef = useRef<HTMLDivElement>(null);

  const close = useCallback((returnFocus: boolean) => {
    setOpenAt(null);
    if (returnFocus) buttonRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!open) return;
    panelRef.current?.querySelector<HTMLElement>("a")?.focus();
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      event.preventDefault();
      close(true);
    };
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!panelRef.current?.contains(target) && !buttonRef.current?.contains(target)) close(false);
    };
    document.addEventListener("keydown", onKeyDown);
    document.addEventListener("pointerdown", onPointerDown);
    return () => {
      document.removeEventListener("keydown", onKeyDown);
      document.removeEventListener("pointerdown", onPointerDown);
    };
  }, [open, close]);

  function onBlur(event: FocusEvent<HTMLDivElement>) {
    const next = event.relatedTarget as Node | null;
    if (open && next && !event.currentTarget.contains(next)) close(false);
  }

  return (
    // Not positioned itself: the panel hangs from the sticky header, across its full width.
    <div className="xl:hidden" onBlur={onBlur}>
      <button
        ref={buttonRef}
        type="button"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpenAt(open ? null : pathname)}
        className="inline-flex h-9 items-center gap-1.5 rounded-md px-2.5 text-sm font-medium text-zinc-700 hover:bg-zinc-100"
      >
        <svg aria-hidden viewBox="0 0 16 16" className="size-4" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round">
          {open ? <path d="M4 4l8 8M12 4l-8 8" /> : <path d="M2.5 4.5h11M2.5 8h11M2.5 11.5h11" />}
        </svg>
        Menu
      </button>
      <div
        ref={panelRef}
        id={panelId}
        hidden={!open}
        className="absolute inset-x-0 top-full border-b border-zinc-200 bg-white shadow-lg"
      >
        <nav aria-label="Main" className="mx-auto max-w-7xl px-2 py-2 sm:px-4">
          <ul>
            {navLinks.map((link) => {
              const active = isCurrentSection(pathname, link.href);
              return (
                <li key={link.href}>
                  <Link
                    href={link.href}
                    aria-current={active ? "page" : undefined}
                    // A click on the current section navigates nowhere, so it closes the panel itself.
                    onClick={() => setOpenAt(null)}
                    className={cn(
                      "flex h-11 items-center rounded-md px-3 text-[15px] font-medium",
                      active ? "bg-zinc-100 text-zinc-900" : "text-zinc-600 hover:bg-zinc-50 hover:text-zinc-900",
                    )}
                  >
                    {link.label}
                  </Link>
                </li>
              );
            })}
          </ul>
        </nav>
        <div className="mx-auto flex max-w-7xl flex-col gap-2 border-t border-zinc-100 px-5 py-3 sm:px-7">
          <OrgSwitcher id={`${panelId}-org`} className="w-full text-sm sm:max-w-sm" />
          <p className="truncate text-xs text-zinc-500" title={email}>
            Signed in as {email}
          </p>
        </div>
      </div>
    </div>
  );
}
