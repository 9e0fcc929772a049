import { test as setup } from "@playwright/test";
import { signUpAndSignIn } from "./fixtures";

setup("sign up and sign in", async ({ request }) => {
  await signUpAndSignIn(request);
  await request.storageState({ path: "test-results/.auth/user.json" });
});
