import { z } from "zod";
import { defineConnection, defineSourceSpec, settings } from "../source-spec";

/** A user name with a password or token (HTTPS), or an SSH private key. */
export const gitConnection = defineConnection({
  provider: "git",
  label: "Git",
  config: z.object({ username: settings.text() }),
  secret: z.object({ password: settings.text(), sshPrivateKey: settings.text() }),
  fields: [
    { group: "config", key: "username", label: "Username", hint: "For HTTPS remotes." },
    { group: "secret", key: "password", label: "Password or access token", hint: "For HTTPS remotes." },
    { group: "secret", key: "sshPrivateKey", label: "SSH private key", kind: "multiline", placeholder: "-----BEGIN OPENSSH PRIVATE KEY-----", hint: "For ssh:// and git@host: remotes." },
  ],
});

export const gitSpec = defineSourceSpec({
  type: "git",
  label: "Git",
  description: "A Git repository over HTTPS or SSH; LFS files are fetched.",
  path: {
    placeholder: "https://host/org/repo.git",
    rule: "A git path is an http(s) or ssh URL: https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git.",
    check: (uri) =>
      !uri.startsWith("-") &&
      (/^https?:\/\/[^\s/]+\/\S+$/.test(uri) || /^ssh:\/\/[^\s/]+\/\S+$/.test(uri) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^\s-][^\s]*$/.test(uri)),
  },
  providers: ["git"],
  connection: gitConnection,
  options: [{ key: "branch", label: "Branch", placeholder: "main", hint: "Defaults to the remote's default branch." }],
});
