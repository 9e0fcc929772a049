import { expect, test } from "./fixtures";

const REQUIRED = {
  "x-content-type-options": "nosniff",
  "referrer-policy": "strict-origin-when-cross-origin",
  "x-frame-options": "DENY",
};

test("every page and API answer carries the security headers; HSTS only over HTTPS", async ({ request }) => {
  for (const path of ["/signin", "/api/health", "/api/v1/checkpoints", "/no-such-page"]) {
    const response = await request.get(path, { maxRedirects: 0 });
    const headers = response.headers();
    expect(headers, path).toMatchObject(REQUIRED);
    expect(headers["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(headers["strict-transport-security"], path).toBeUndefined();
  }
  const overHttps = await request.get("/api/health", { headers: { "x-forwarded-proto": "https" } });
  expect(overHttps.headers()["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
});

test("the sign-in page runs under the CSP: it hydrates and answers a wrong password in place", async ({ browser, baseURL }) => {
  const context = await browser.newContext({ baseURL, storageState: { cookies: [], origins: [] } });
  const page = await context.newPage();
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (execute|load|apply|connect)/i.test(message.text())) violations.push(message.text());
  });
  await page.goto("/signin");
  await page.getByLabel("Email").fill("nobody@example.com");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  // Only the hydrated form shows this: without its scripts the browser would submit the form itself.
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  expect(page.url()).toMatch(/\/signin$/);
  expect(violations).toEqual([]);
  await context.close();
});
