import { describe, expect, it } from "vitest";
import nextConfig, { contentSecurityPolicy } from "@/next.config";

/**
 * The headers next.config.ts gives every page and API answer (`next start` applies them; the e2e
 * spec e2e/security-headers.spec.ts checks them on the wire and that pages still run under the CSP).
 */
describe("security headers", () => {
  it("sets CSP, nosniff, Referrer-Policy and frame denial on every path, HSTS only over HTTPS", async () => {
    const rules = (await nextConfig.headers?.()) ?? [];
    const everywhere = rules.filter((rule) => rule.source === "/:path*" && !rule.has && !rule.missing);
    const headers = Object.fromEntries(everywhere.flatMap((rule) => rule.headers.map((h) => [h.key.toLowerCase(), h.value])));
    expect(headers["x-content-type-options"]).toBe("nosniff");
    expect(headers["referrer-policy"]).toBe("strict-origin-when-cross-origin");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["strict-transport-security"]).toBeUndefined();
    const https = rules.filter((rule) => rule.has?.some((h) => h.type === "header" && h.key === "x-forwarded-proto" && h.value === "https"));
    expect(https.flatMap((rule) => rule.headers)).toEqual([{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }]);
    expect(https.every((rule) => rule.source === "/:path*")).toBe(true);
  });

  it("keeps the production CSP to this origin, without eval, plugins or framing", () => {
    const csp = Object.fromEntries(
      contentSecurityPolicy(false)
        .split(";")
        .map((d) => d.trim().split(/\s+/))
        .map(([name, ...values]) => [name, values]),
    );
    expect(csp["default-src"]).toEqual(["'self'"]);
    expect(csp["script-src"]).toEqual(["'self'", "'unsafe-inline'"]);
    expect(csp["connect-src"]).toEqual(["'self'"]);
    expect(csp["object-src"]).toEqual(["'none'"]);
    expect(csp["frame-ancestors"]).toEqual(["'none'"]);
    expect(csp["base-uri"]).toEqual(["'self'"]);
    expect(contentSecurityPolicy(true)).toContain("'unsafe-eval'");
  });
});
