/**
 * The Content-Security-Policy of every page and answer. Next.js inlines its bootstrap and RSC
 * payload scripts, and React sets inline styles, so both allow 'unsafe-inline' (nonces would need a
 * middleware, which would buffer upload bodies); everything else is this origin only, no plugins,
 * and no framing (`frame-ancestors 'none'`). `next dev` also needs eval for React's debugging.
 */
export function contentSecurityPolicy(dev = process.env.NODE_ENV === "development"): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'unsafe-inline'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${dev ? " ws: wss:" : ""}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

/**
 * Headers on every page and API answer (next.config.ts sets them on what Next.js serves, the data
 * plane on what it serves); HSTS only when the request came over HTTPS (as its proxy says).
 */
export const securityHeaders = [
  { key: "Content-Security-Policy", value: contentSecurityPolicy() },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "strict-origin-when-cross-origin" },
  { key: "X-Frame-Options", value: "DENY" },
];
export const HSTS = { key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" };
