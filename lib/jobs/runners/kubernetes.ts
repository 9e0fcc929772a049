import "server-only";
import { ApiException, BatchV1Api, CoreV1Api, KubeConfig, type CoreV1Event, type V1ContainerStatus, type V1Job, type V1Pod, type V1Secret } from "@kubernetes/client-node";
import { inParallel } from "@/lib/async/in-parallel";
import { config } from "@/lib/config";
import type { Job } from "@/lib/db/schema";
import { RunnerRefusal, type AgentLaunch, type EngineState, type JobRunner } from "../runner";
import { K8S_LABELS, MAIN_CONTAINER, jobManifest, k8sNames, secretManifests } from "./kubernetes-spec";

/** Waiting reasons that keep a pod from ever starting on its own: shown as the job's pending reason. */
const STUCK = new Set(["ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError", "CreateContainerError", "CrashLoopBackOff"]);
const INSPECT_PARALLEL = 8;

/** The HTTP status of a Kubernetes API answer, or null for a failure that never reached it. */
const statusOf = (error: unknown): number | null => (error instanceof ApiException ? Number(error.code) : null);

/** The API's own words: client-node 1.x keeps the answer's body as text (a `Status` object in JSON). */
function apiMessage(error: unknown): string {
  if (!(error instanceof ApiException)) return error instanceof Error ? error.message : String(error);
  const body: unknown = error.body;
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      return body.trim() || `HTTP ${error.code}`;
    }
  }
  const message = parsed && typeof parsed === "object" && "message" in parsed ? (parsed as { message: unknown }).message : null;
  return typeof message === "string" && message ? message : `HTTP ${error.code}`;
}

/** A failure of the API that is not a refusal of the job, as a short sentence (the exception's own text holds every header). */
function apiFailure(what: string, error: unknown): Error {
  if (!(error instanceof ApiException)) return error instanceof Error ? error : new Error(String(error));
  return new Error(`Kubernetes answered ${error.code} to ${what}: ${apiMessage(error)}`, { cause: error });
}

async function ignoreNotFound(call: Promise<unknown>): Promise<void> {
  try {
    await call;
  } catch (error) {
    if (statusOf(error) !== 404) throw error;
  }
}

const isTrue = (status: string | undefined) => status === "True";

/** What a container status says when it stops the pod from going on, or null. */
function stuckReason(status: V1ContainerStatus): string | null {
  const waiting = status.state?.waiting;
  return waiting?.reason && STUCK.has(waiting.reason) ? waiting.reason : null;
}

/** The pod's view of the job; `job` is the Job's own (its conditions win unless the pod says OOMKilled). */
export function engineState(job: V1Job, pods: V1Pod[], events: CoreV1Event[] = []): EngineState {
  const pod = [...pods].sort((a, b) => stamp(b.metadata?.creationTimestamp) - stamp(a.metadata?.creationTimestamp))[0];
  const statuses = pod ? [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])] : [];
  const main = pod?.status?.containerStatuses?.find((s) => s.name === MAIN_CONTAINER);
  const terminated = main?.state?.terminated ?? null;
  if (terminated?.reason === "OOMKilled") return { state: "ended", reason: "OOMKilled" };

  const conditions = (job.status?.conditions ?? []).filter((c) => isTrue(c.status));
  const failed = conditions.find((c) => c.type === "Failed" || c.type === "FailureTarget");
  if (failed) return { state: "ended", reason: failed.reason || "Failed" };
  if (conditions.some((c) => c.type === "Complete" || c.type === "SuccessCriteriaMet")) return { state: "ended", reason: "Complete" };
  if (!pod) {
    // No pod yet: the Job controller says why in its events (a quota it could not fit, a policy).
    const warning = [...events].filter((e) => e.type === "Warning").sort((a, b) => eventStamp(b) - eventStamp(a))[0];
    return { state: "pending", reason: warning ? `${warning.reason ?? "Warning"}: ${warning.message ?? ""}`.trim() : null };
  }

  const phase = pod.status?.phase;
  if (phase === "Failed" || phase === "Succeeded") return { state: "ended", reason: pod.status?.reason || terminated?.reason || phase };
  if (terminated) return { state: "ended", reason: terminated.reason || `exit status ${terminated.exitCode}` };
  if (main?.state?.running) return { state: "running", reason: null };
  const unschedulable = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False" && c.reason === "Unschedulable");
  if (unschedulable) return { state: "pending", reason: `Unschedulable: ${unschedulable.message ?? ""}`.trim() };
  for (const status of statuses) {
    const reason = stuckReason(status);
    if (reason) return { state: "pending", reason };
  }
  if (phase === "Running") return { state: "running", reason: null };
  return { state: "pending", reason: null };
}

function stamp(value: Date | string | undefined): number {
  const time = value ? new Date(value).getTime() : 0;
  return Number.isFinite(time) ? time : 0;
}

const eventStamp = (event: CoreV1Event) => stamp(event.lastTimestamp ?? event.eventTime ?? event.firstTimestamp ?? event.metadata?.creationTimestamp);

/**
 * Runs each job as a Kubernetes `batch/v1` Job `cairn-job-<id>` in `CAIRN_K8S_NAMESPACE`: one pod,
 * never retried, whose agent is a native sidecar (it lays out the inputs, ships the logs, captures
 * the outputs) and whose main container runs the user's argv in the job's image once the inputs are
 * in place. The user's variables go in a Secret the main container reads (`envFrom`), the agent's
 * token in another that only the agent sees. `runnerJobId` is the Job's name; the cluster queues
 * jobs itself (quotas, Kueue), so Cairn hands them over at once. Connects as `loadFromDefault()`
 * does: `KUBECONFIG`, `~/.kube/config`, or the pod's service account when Cairn runs in the cluster.
 */
export class KubernetesRunner implements JobRunner {
  readonly kind = "kubernetes" as const;
  readonly accepts = ["gpus", "cpus", "memoryGb", "timeLimitMinutes", "image"] as const;
  readonly queuesJobs = false;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;

  constructor(kubeConfig?: KubeConfig) {
    const kc = kubeConfig ?? new KubeConfig();
    if (!kubeConfig) kc.loadFromDefault();
    this.batch = kc.makeApiClient(BatchV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private get namespace(): string {
    return config().kubernetes.namespace;
  }

  async submit(launch: AgentLaunch): Promise<{ runnerJobId: string }> {
    const namespace = this.namespace;
    const body = jobManifest(launch); // refuses first when there is no image
    const name = body.metadata?.name ?? k8sNames(launch.job.id).job;
    const secrets = secretManifests(launch);
    const created: string[] = [];
    try {
      for (const secret of [secrets.env, secrets.agent]) {
        await this.putSecret(namespace, secret);
        created.push(secret.metadata?.name ?? "");
      }
      await this.batch.createNamespacedJob({ namespace, body });
      return { runnerJobId: name };
    } catch (error) {
      // The same job handed over twice (a retried submit, a resume): its Job is already there, and so are its Secrets.
      if (statusOf(error) === 409 && created.length === 2) return { runnerJobId: name };
      await Promise.all(created.map((secret) => ignoreNotFound(this.core.deleteNamespacedSecret({ name: secret, namespace })).catch(() => {})));
      const status = statusOf(error);
      if (created.length === 2 && status !== null && status >= 400 && status < 500) {
        const words = apiMessage(error);
        throw new RunnerRefusal(`Kubernetes refused the job: ${words}`, /\.image\b|\bimage\b/i.test(words) ? "image" : "resources");
      }
      throw apiFailure(created.length === 2 ? `creating Job ${name}` : "creating the job's Secrets", error);
    }
  }

  /** Creates the Secret, or replaces the one an earlier submit of the same job left (the token is new). */
  private async putSecret(namespace: string, body: V1Secret): Promise<void> {
    try {
      await this.core.createNamespacedSecret({ namespace, body });
    } catch (error) {
      if (statusOf(error) !== 409) throw error;
      await this.core.replaceNamespacedSecret({ name: body.metadata?.name ?? "", namespace, body });
    }
  }

  /**
   * Deletes the Job, its pod in the foreground: the pod gets SIGTERM (the main container's wrapper
   * passes it to the command) and `terminationGracePeriodSeconds` (the stop grace plus time for the
   * final capture) before SIGKILL; the agent, a sidecar, is stopped only after the main container ended.
   */
  async cancel(job: Job, _opts: { pending: boolean }): Promise<void> {
    const name = job.runnerJobId || k8sNames(job.id).job;
    try {
      await ignoreNotFound(this.batch.deleteNamespacedJob({ name, namespace: this.namespace, propagationPolicy: "Foreground" }));
    } catch (error) {
      console.error(`deleting Kubernetes Job ${name} failed`, apiFailure(`deleting Job ${name}`, error).message);
    }
  }

  async inspect(jobs: Job[]): Promise<Map<string, EngineState>> {
    const states = new Map<string, EngineState>();
    const namespace = this.namespace;
    await inParallel(jobs, INSPECT_PARALLEL, async (job) => {
      states.set(job.id, await this.inspectOne(namespace, job).catch((): EngineState => ({ state: "unknown" })));
    });
    return states;
  }

  private async inspectOne(namespace: string, job: Job): Promise<EngineState> {
    const name = job.runnerJobId || k8sNames(job.id).job;
    let row: V1Job;
    try {
      row = await this.batch.readNamespacedJob({ name, namespace });
    } catch (error) {
      if (statusOf(error) === 404) return { state: "unknown" };
      throw error;
    }
    const pods = await this.core.listNamespacedPod({ namespace, labelSelector: `${K8S_LABELS.jobId}=${job.id}` });
    const events =
      pods.items.length === 0
        ? (await this.core.listNamespacedEvent({ namespace, fieldSelector: `involvedObject.kind=Job,involvedObject.name=${name}` }).catch(() => ({ items: [] }))).items
        : [];
    return engineState(row, pods.items, events);
  }

  /** Deletes the job's two Secrets; the Job itself goes `ttlSecondsAfterFinished` after it ended. */
  async release(job: Job): Promise<void> {
    const names = k8sNames(job.id);
    const namespace = this.namespace;
    await Promise.all([names.envSecret, names.agentSecret].map((name) => ignoreNotFound(this.core.deleteNamespacedSecret({ name, namespace }))));
  }
}
