#!/usr/bin/env node
// Makes sure the Debian packages the test suite needs are installed, before `npm ci` even: it uses
// nothing but Node itself. As root with apt-get it installs what is missing; otherwise it prints
// the command that would and exits 1. `--check` only reports. Silent and fast when all is there.
import { spawnSync } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

const executable = (file) => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};
const onPath = (name) => (process.env.PATH ?? "/usr/bin:/bin").split(path.delimiter).some((dir) => dir !== "" && executable(path.join(dir, name)));

// Asks Python where torch is rather than importing it: an import takes ~3 s, a lookup 40 ms.
const torchInstalled = () =>
  spawnSync("/usr/bin/python3", ["-c", "import importlib.util, sys; sys.exit(importlib.util.find_spec('torch') is None)"], { stdio: "ignore" }).status === 0;

/** Each Debian package with the probe that tells it is installed, and what in the suite needs it. */
const PACKAGES = [
  { name: "chromium", present: () => executable("/usr/bin/chromium") }, // Playwright's browser
  { name: "bzip2", present: () => onPath("bzip2") }, // archive fixtures
  { name: "tar", present: () => onPath("tar") }, // archive fixtures
  { name: "openssh-server", present: () => executable("/usr/sbin/sshd") }, // git-over-ssh source tests
  { name: "slurm-wlm", present: () => ["/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"].every(executable) }, // Slurm job tests
  { name: "slurmrestd", present: () => executable("/usr/sbin/slurmrestd") }, // the Slurm REST runner tests
  { name: "munge", present: () => executable("/usr/sbin/munged") }, // Slurm's authentication
  { name: "python3-torch", present: torchInstalled }, // checkpoint fixtures and jobs
  { name: "rclone", present: () => executable("/usr/bin/rclone") }, // cloud mount/copy tests
  { name: "curl", present: () => onPath("curl") },
];

const missingPackages = () => PACKAGES.filter((pkg) => !pkg.present()).map((pkg) => pkg.name);

const checkOnly = process.argv.includes("--check");
const missing = missingPackages();
if (missing.length === 0) process.exit(0);

const isRoot = process.getuid?.() === 0;
const aptGet = ["/usr/bin/apt-get", "/bin/apt-get"].find(executable);
if (checkOnly || !isRoot || !aptGet) {
  console.error(`system-deps: missing Debian packages ${missing.join(", ")}; run: ${isRoot ? "" : "sudo "}apt-get install -y ${missing.join(" ")}`);
  process.exit(1);
}

const apt = (...args) => {
  const result = spawnSync(aptGet, args, {
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  });
  return { ok: result.status === 0, output: `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? result.error.message : ""}` };
};

console.log(`system-deps: installing ${missing.join(" ")} (apt-get install -y)`);
let installed = apt("install", "-y", ...missing);
// A fresh machine's package lists may be empty or stale; refresh them only when installing fails.
if (!installed.ok) {
  const updated = apt("update");
  installed = updated.ok ? apt("install", "-y", ...missing) : updated;
}
const stillMissing = missingPackages();
if (!installed.ok || stillMissing.length > 0) {
  console.error(installed.output.trimEnd().split("\n").slice(-20).join("\n"));
  console.error(`system-deps: could not install ${(stillMissing.length > 0 ? stillMissing : missing).join(", ")}; run: apt-get install -y ${missing.join(" ")}`);
  process.exit(1);
}
