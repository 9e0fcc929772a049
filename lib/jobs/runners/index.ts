import "server-only";
import { config } from "@/lib/config";
import type { JobRunner } from "../runner";
import { LocalRunner } from "./local";
import { SlurmRunner } from "./slurm";
import { SlurmRestRunner } from "./slurm-rest";

const globalForRunner = globalThis as unknown as { cairnJobRunner?: JobRunner };

/** The deployment's runner (`CAIRN_JOB_RUNNER`): one per process. */
export function jobRunner(): JobRunner {
  if (!globalForRunner.cairnJobRunner) {
    const kind = config().jobRunner;
    globalForRunner.cairnJobRunner = kind === "slurm" ? (config().slurm.restUrl ? new SlurmRestRunner() : new SlurmRunner()) : kind === "kubernetes" ? kubernetesRunner() : new LocalRunner();
  }
  return globalForRunner.cairnJobRunner;
}

/** Lets tests switch runners within one process (each suite sets `CAIRN_JOB_RUNNER` first). */
export function resetJobRunner(): void {
  globalForRunner.cairnJobRunner = undefined;
}

function kubernetesRunner(): JobRunner {
  // Loaded only when configured: the Kubernetes client is large.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { KubernetesRunner } = require("./kubernetes") as typeof import("./kubernetes");
  return new KubernetesRunner();
}
