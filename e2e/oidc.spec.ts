import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { Browser, Page } from "@playwright/test";
import { oidcBaseURL, oidcIssuer } from "../playwright.config";
import { expect, test } from "./fixtures";

/**
 * Single sign-on, against the third Cairn of playwright.config.ts: password sign-in off, and a real
 * OpenID Connect provider on loopback (e2e/oidc-provider.mjs) whose own login and consent pages the
 * browser fills in. alice@first.example and bob@acme.example are verified there; eve is not.
 */
test.use({ baseURL: oidcBaseURL, storageState: { cookies: [], origins: [] } });
test.describe.configure({ mode: "serial" });

const SCREENS = path.join("test-results", "screens");
const PHONE = { width: 390, height: 844 };

/** A browser of its own (no session at Cairn or at the provider) on Cairn's sign-in page. */
async function freshSignInPage(browser: Browser, viewport = { width: 1280, height: 800 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: oidcBaseURL, viewport });
  const page = await context.newPage();
  await page.goto("/signin");
  return page;
}

/** From Cairn's sign-in page through the provider's login and consent pages, back to Cairn. */
async function signInAtProvider(page: Page, login: string): Promise<void> {
  await page.getByRole("button", { name: "Sign in with Loopback ID", exact: true }).click();
  await page.waitForURL((url) => url.origin === oidcIssuer);
  await page.locator('input[name="login"]').fill(login);
  await page.locator('input[name="password"]').fill("any password works here");
  await page.getByRole("button", { name: "Sign-in" }).click();
  await page.getByRole("button", { name: "Continue" }).click();
  await page.waitForURL((url) => url.origin === oidcBaseURL);
}

type Me = { user: { email: string; name: string | null }; org: { id: string; role: string }; orgs: { id: string; name: string; role: string }[] };

test("the sign-in page offers only single sign-on, and password sign-up is refused", async ({ browser }) => {
  await mkdir(SCREENS, { recursive: true });
  const page = await freshSignInPage(browser);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expect(page.getByRole("button", { name: "Sign in with Loopback ID", exact: true })).toBeVisible();
  await expect(page.getByLabel("Password")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Create one" })).toHaveCount(0);
  await page.screenshot({ path: path.join(SCREENS, "oidc-signin-desktop.png"), fullPage: true });
  await page.setViewportSize(PHONE);
  await expect(page.getByRole("button", { name: "Sign in with Loopback ID", exact: true })).toBeInViewport();
  expect(await page.evaluate(() => document.scrollingElement?.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
  await page.screenshot({ path: path.join(SCREENS, "oidc-signin-390.png"), fullPage: true });

  await page.goto("/signup");
  await expect(page.getByText("Accounts on this server come from Loopback ID")).toBeVisible();
  const refused = await page.request.post("/api/v1/users", { data: { email: "late@first.example", password: "long enough" } });
  expect(refused.status()).toBe(403);
  expect(await refused.json()).toEqual({
    error: { code: "forbidden", message: "Password sign-in is turned off on this server: create your account by signing in to the console with Loopback ID." },
  });
  await page.context().close();
});

test("alice signs in through the provider, lands on the dashboard of her own org and lets acme.example in", async ({ browser }) => {
  const page = await freshSignInPage(browser);
  await signInAtProvider(page, "alice");
  await expect(page).toHaveURL(/\/checkpoints$/);
  await expect(page.getByRole("heading", { name: "Checkpoints" })).toBeVisible();
  await expect(page.getByText("alice@first.example", { exact: true })).toBeVisible();
  const me = (await (await page.request.get("/api/v1/me")).json()) as Me;
  expect(me.user).toMatchObject({ email: "alice@first.example", name: "Alice Example" });
  expect(me.orgs).toEqual([expect.objectContaining({ name: "Alice Example's org", role: "owner" })]);

  await page.goto("/members");
  await expect(page.getByText("People in Alice Example's org")).toBeVisible();
  const domains = page.getByLabel("Email domains");
  await domains.fill("acme.example");
  await page.getByRole("button", { name: "Save domains" }).click();
  await expect(page.getByRole("status")).toHaveText("Saved: acme.example.");
  const org = (await (await page.request.get("/api/v1/orgs/current")).json()) as { allowedEmailDomains: string[] };
  expect(org.allowedEmailDomains).toEqual(["acme.example"]);
  await page.context().close();
});

test("bob, whose email domain alice's org allows, lands in that org as a member", async ({ browser }) => {
  const page = await freshSignInPage(browser);
  await signInAtProvider(page, "bob");
  await expect(page.getByRole("heading", { name: "Checkpoints" })).toBeVisible();
  const me = (await (await page.request.get("/api/v1/me")).json()) as Me;
  expect(me.user.email).toBe("bob@acme.example");
  // Joined, not given an org of his own.
  expect(me.orgs).toEqual([expect.objectContaining({ name: "Alice Example's org", role: "member" })]);
  await page.goto("/members");
  await expect(page.getByText("People in Alice Example's org")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "bob@acme.example" })).toContainText("Member");
  await expect(page.getByRole("row").filter({ hasText: "alice@first.example" })).toContainText("Owner");
  // A member sees the domains but cannot change them.
  await expect(page.getByText("acme.example", { exact: true })).toBeVisible();
  await expect(page.getByLabel("Email domains")).toHaveCount(0);
  await page.context().close();
});

test("eve, whose email the provider does not call verified, is sent back with the reason", async ({ browser }) => {
  const page = await freshSignInPage(browser);
  await signInAtProvider(page, "eve");
  await expect(page).toHaveURL(/\/signin\?error=EmailUnverified$/);
  const alert = page.getByRole("alert").filter({ hasText: "Sign-in did not work" });
  await expect(alert).toContainText("Loopback ID did not confirm a verified email address for you");
  await page.screenshot({ path: path.join(SCREENS, "oidc-signin-error.png"), fullPage: true });
  expect((await page.request.get("/api/v1/me")).status()).toBe(401);
  await page.context().close();
});
