/** The console's sections, in the order both the top bar and the narrow-screen menu show them. */
export const navLinks = [
  { href: "/checkpoints", label: "Checkpoints" },
  { href: "/jobs", label: "Jobs" },
  { href: "/catalog", label: "Catalog" },
  { href: "/connections", label: "Connections" },
  { href: "/storage", label: "Storage" },
  { href: "/webhooks", label: "Webhooks" },
  { href: "/tokens", label: "Tokens" },
  { href: "/api-reference", label: "API" },
  { href: "/members", label: "Members" },
] as const;

/** A section is current on its own page and on every page below it. */
export const isCurrentSection = (pathname: string, href: string) => pathname === href || pathname.startsWith(`${href}/`);
