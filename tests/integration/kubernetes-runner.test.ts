import { randomBytes, randomUUID } from "node:crypto";
import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTAINER_WRAPPER } from "@/lib/agent/container";
import type { Job } from "@/lib/db/schema";
import { RunnerRefusal, type AgentLaunch } from "@/lib/jobs/runner";
import { KubernetesRunner } from "@/lib/jobs/runners/kubernetes";
import { startK8sPeer, type K8sObject, type K8sPeer } from "../helpers/k8s-peer";

const NAMESPACE = "cairn-jobs";
const JOB_IMAGE = "registry.example/train:1.2";
const AGENT_IMAGE = "registry.example/cairn-agent:test";
/** Quotes, `$`, `;`, spaces and a newline: a shell would change every one of them. */
const ARGV = ["python", "-c", "import os; print(os.environ['HOME'])", "--name", "it's $HOME; rm -rf /", "two words", "line\nbreak"];

const SETTINGS: Record<string, string> = {
  CAIRN_K8S_NAMESPACE: NAMESPACE,
  CAIRN_JOB_IMAGE: JOB_IMAGE,
  CAIRN_AGENT_IMAGE: AGENT_IMAGE,
  CAIRN_K8S_TTL_SECONDS: "900",
  CAIRN_JOB_STOP_GRACE_SECONDS: "7",
};
const OPTIONAL = ["CAIRN_K8S_CACHE_HOST_PATH", "CAIRN_K8S_BLOB_PVC", "CAIRN_K8S_CAPTURE_GRACE_SECONDS"];

/** A jobs row as the database would hand it to the runner. */
function jobRow(overrides: Partial<Job> = {}): Job {
  const now = new Date();
  return {
    id: randomUUID(),
    orgId: randomUUID(),
    name: `train-${randomBytes(3).toString("hex")}`,
    type: "training",
    status: "queued",
    message: null,
    command: ARGV,
    envCiphertext: "sealed",
    envKeys: ["WANDB_API_KEY", "LR"],
    captureOutputs: true,
    exitCode: null,
    creatorUserId: randomUUID(),
    runnerInstance: null,
    pid: null,
    runner: "kubernetes",
    runnerJobId: null,
    statusMessage: null,
    resources: {},
    partition: null,
    image: null,
    submittedAt: null,
    heartbeatAt: null,
    agentTokenHash: "hash",
    agentTokenExpiresAt: null,
    captureRetryAt: null,
    stopRequestedAt: null,
    createdAt: now,
    startedAt: null,
    finishedAt: null,
    ...overrides,
  };
}

function launchOf(job: Job, env: Record<string, string> = { WANDB_API_KEY: "wandb-secret-value", LR: "0.001" }): AgentLaunch {
  return { job, token: `cairn_job_${randomBytes(16).toString("hex")}`, serverUrl: "http://cairn.internal:3000", env, resume: false, firstInput: "llama-7b" };
}

/** A cluster address nothing listens on. */
function unreachable(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "gone", server: "http://127.0.0.1:1", skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "gone", cluster: "gone", user: "u" }],
    currentContext: "gone",
  });
  return kc;
}

/** A container status as the kubelet reports it. */
const containerStatus = (name: string, state: Record<string, unknown>, restartCount = 0) => ({ name, ready: "running" in state, restartCount, image: "", imageID: "", state });

/** The parts of the manifest the tests read, as JSON (the peer's record of the request body). */
type Container = {
  name: string;
  image: string;
  command: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: unknown[];
  volumeMounts?: { name: string; mountPath: string; subPath?: string; readOnly?: boolean }[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
  startupProbe?: { exec?: { command: string[] }; failureThreshold?: number };
};
type PodSpec = { restartPolicy: string; automountServiceAccountToken: boolean; securityContext: Record<string, unknown>; terminationGracePeriodSeconds: number; volumes: Record<string, unknown>[]; initContainers: Container[]; containers: Container[] };
type JobBody = { metadata: { name: string; labels: Record<string, string> }; spec: { backoffLimit: number; ttlSecondsAfterFinished: number; activeDeadlineSeconds?: number; template: { metadata: { labels: Record<string, string> }; spec: PodSpec } } };

const envOf = (container: Container) => Object.fromEntries((container.env ?? []).map((e) => [e.name, e.value ?? e.valueFrom]));
const decoded = (secret: K8sObject | undefined) => Object.fromEntries(Object.entries((secret?.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, "base64").toString("utf8")]));

describe("Kubernetes runner against a loopback API peer", () => {
  let peer: K8sPeer;
  let runner: KubernetesRunner;
  const saved: Record<string, string | undefined> = {};

  beforeAll(async () => {
    peer = await startK8sPeer({ namespace: NAMESPACE });
    for (const key of [...Object.keys(SETTINGS), ...OPTIONAL, "KUBECONFIG"]) saved[key] = process.env[key];
    Object.assign(process.env, SETTINGS, { KUBECONFIG: peer.kubeconfigPath });
    for (const key of OPTIONAL) delete process.env[key];
    runner = new KubernetesRunner();
  });

  afterAll(async () => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    await peer?.close();
  });

  /** The requests since `from`, without the peer's own bookkeeping. */
  const since = (from: number) => peer.requests.slice(from);
  const jobBodyOf = (from: number) => since(from).find((r) => r.method === "POST" && r.path.endsWith("/jobs"))?.body as JobBody;

  it("creates the two Secrets, then a Job whose pod runs the agent as a native sidecar beside the untouched argv", async () => {
    const job = jobRow({ resources: { gpus: 2, cpus: 4, memoryGb: 16, timeLimitMinutes: 90 } });
    const launch = launchOf(job);
    const from = peer.requests.length;
    await expect(runner.submit(launch)).resolves.toEqual({ runnerJobId: `cairn-job-${job.id}` });

    const sent = since(from);
    expect(sent.map((r) => `${r.method} ${r.path}`)).toEqual([
      `POST /api/v1/namespaces/${NAMESPACE}/secrets`,
      `POST /api/v1/namespaces/${NAMESPACE}/secrets`,
      `POST /apis/batch/v1/namespaces/${NAMESPACE}/jobs`,
    ]);
    expect(sent.every((r) => r.authorization === `Bearer ${peer.token}`)).toBe(true);

    const body = jobBodyOf(from);
    const labels = { "cairn.dev/job-id": job.id, "cairn.dev/org-id": job.orgId };
    expect(body.metadata).toMatchObject({ name: `cairn-job-${job.id}`, labels });
    expect(body.spec).toMatchObject({ backoffLimit: 0, ttlSecondsAfterFinished: 900, activeDeadlineSeconds: 90 * 60 });
    expect(body.spec.template.metadata.labels).toEqual(labels);
    const pod = body.spec.template.spec;
    expect(pod).toMatchObject({ restartPolicy: "Never", automountServiceAccountToken: false, terminationGracePeriodSeconds: 7 + 300 });
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 });
    expect(pod.volumes).toEqual([
      { name: "cairn", emptyDir: {} },
      { name: "cache", emptyDir: {} },
    ]);

    expect(pod.initContainers).toHaveLength(1);
    const agent = pod.initContainers[0] as Container;
    expect(agent).toMatchObject({ name: "agent", image: AGENT_IMAGE, restartPolicy: "Always", command: ["cairn", "job", "agent"] });
    expect(envOf(agent)).toEqual({
      CAIRN_SERVER: "http://cairn.internal:3000",
      CAIRN_JOB_ID: job.id,
      CAIRN_JOB_DIR: "/cairn",
      CAIRN_AGENT_MODE: "container",
      CAIRN_CACHE_DIR: "/var/cache/cairn",
      CAIRN_JOB_TOKEN: { secretKeyRef: { name: `cairn-job-${job.id}-agent`, key: "token" } },
    });
    expect(agent.startupProbe?.exec?.command).toEqual(["test", "-f", "/cairn/.cairn/inputs-ready"]);
    expect(agent.startupProbe?.failureThreshold).toBeGreaterThanOrEqual(1000);
    expect(agent.volumeMounts).toEqual([
      { name: "cairn", mountPath: "/cairn" },
      { name: "cache", mountPath: "/var/cache/cairn", readOnly: false },
    ]);

    expect(pod.containers).toHaveLength(1);
    const main = pod.containers[0] as Container;
    expect(main.name).toBe("main");
    expect(main.image).toBe(JOB_IMAGE);
    expect(main.command).toEqual(["/bin/sh", "-c", CONTAINER_WRAPPER, "cairn-job", "/cairn/.cairn", ...ARGV]);
    expect(main.resources).toEqual({ limits: { "nvidia.com/gpu": "2", cpu: "4", memory: "16Gi" }, requests: { cpu: "4", memory: "16Gi" } });
    expect(main.envFrom).toEqual([{ secretRef: { name: `cairn-job-${job.id}-env` } }]);
    expect(envOf(main)).toEqual({
      FLEXAI_INPUT_CHECKPOINT_DIR: "/cairn/inputs",
      FLEXAI_OUTPUT_CHECKPOINT_DIR: "/cairn/outputs",
      TRAINML_CHECKPOINT_PATH: "/cairn/inputs/llama-7b",
      CAIRN_JOB_ID: job.id,
    });
    expect(main.volumeMounts).toEqual([
      { name: "cairn", mountPath: "/cairn" },
      { name: "cache", mountPath: "/var/cache/cairn", readOnly: true },
      { name: "cairn", mountPath: "/input-checkpoint", subPath: "inputs", readOnly: true },
      { name: "cairn", mountPath: "/output-checkpoint", subPath: "outputs" },
      { name: "cairn", mountPath: "/opt/trainml/checkpoint", subPath: "inputs/llama-7b", readOnly: true },
    ]);

    // The token: in the agent's Secret, read by the agent only; nowhere in the main container, the env Secret or the manifest.
    const mainText = JSON.stringify(main);
    expect(mainText).not.toContain(launch.token);
    expect(mainText).not.toContain("CAIRN_JOB_TOKEN");
    expect(mainText).not.toContain(`cairn-job-${job.id}-agent`);
    expect(JSON.stringify(body)).not.toContain(launch.token);
    const envSecret = peer.secrets.get(`${NAMESPACE}/cairn-job-${job.id}-env`);
    const agentSecret = peer.secrets.get(`${NAMESPACE}/cairn-job-${job.id}-agent`);
    expect(decoded(envSecret)).toEqual({ WANDB_API_KEY: "wandb-secret-value", LR: "0.001" });
    expect(JSON.stringify(envSecret)).not.toContain(Buffer.from(launch.token).toString("base64"));
    expect(decoded(agentSecret)).toEqual({ token: launch.token });
    expect(envSecret?.metadata.labels).toEqual(labels);
    expect(peer.jobs.has(`${NAMESPACE}/cairn-job-${job.id}`)).toBe(true);
  });

  it("uses the job's own image, a hostPath cache and the blob store's PVC when configured, and asks for nothing it was not given", async () => {
    process.env.CAIRN_K8S_CACHE_HOST_PATH = "/srv/cairn-cache";
    process.env.CAIRN_K8S_BLOB_PVC = "cairn-blobs";
    process.env.CAIRN_K8S_CAPTURE_GRACE_SECONDS = "60";
    try {
      const job = jobRow({ image: "ghcr.io/me/custom:7" });
      const from = peer.requests.length;
      await runner.submit(launchOf(job, {}));
      const pod = jobBodyOf(from).spec.template.spec;
      const [agent, main] = [pod.initContainers[0] as Container, pod.containers[0] as Container];
      expect(main.image).toBe("ghcr.io/me/custom:7");
      expect(jobBodyOf(from).spec.activeDeadlineSeconds).toBeUndefined();
      expect(main.resources ?? {}).toEqual({});
      expect(pod.terminationGracePeriodSeconds).toBe(7 + 60);
      expect(pod.volumes).toEqual([
        { name: "cairn", emptyDir: {} },
        { name: "cache", hostPath: { path: "/srv/cairn-cache", type: "DirectoryOrCreate" } },
        { name: "blobs", persistentVolumeClaim: { claimName: "cairn-blobs", readOnly: true } },
      ]);
      expect(envOf(agent).CAIRN_SHARED_BLOB_DIR).toBe("/cairn-blobs");
      expect(agent.volumeMounts).toContainEqual({ name: "blobs", mountPath: "/cairn-blobs", readOnly: true });
      // Inputs are symlinks into the store: the main container must see it at the same path, read-only.
      expect(main.volumeMounts).toContainEqual({ name: "blobs", mountPath: "/cairn-blobs", readOnly: true });
      expect(envOf(main).CAIRN_SHARED_BLOB_DIR).toBeUndefined();
      expect(decoded(peer.secrets.get(`${NAMESPACE}/cairn-job-${job.id}-env`))).toEqual({});
    } finally {
      for (const key of OPTIONAL) delete process.env[key];
    }
  });

  it("refuses a job without an image before asking the cluster anything", async () => {
    delete process.env.CAIRN_JOB_IMAGE;
    try {
      const from = peer.requests.length;
      const error = await runner.submit(launchOf(jobRow())).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RunnerRefusal);
      expect((error as RunnerRefusal).field).toBe("image");
      expect((error as RunnerRefusal).message).toMatch(/image.*CAIRN_JOB_IMAGE/);
      expect(since(from)).toEqual([]);
    } finally {
      process.env.CAIRN_JOB_IMAGE = JOB_IMAGE;
    }
  });

  it.each([
    [422, 'Job.batch "x" is invalid: spec.template.spec.containers[0].resources.limits[nvidia.com/gpu]: Invalid value: "64": must be less than 8'],
    [403, 'jobs.batch "x" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=64, used: 0, limited: 8'],
  ])("turns a %i from the Job create into a RunnerRefusal in the API's words and deletes the Secrets again", async (code, message) => {
    const job = jobRow({ resources: { gpus: 64 } });
    peer.failNextCreate(code, message);
    const from = peer.requests.length;
    const error = await runner.submit(launchOf(job)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunnerRefusal);
    expect((error as RunnerRefusal).message).toBe(`Kubernetes refused the job: ${message}`);
    expect((error as RunnerRefusal).field).toBe("resources");
    const deleted = since(from).filter((r) => r.method === "DELETE").map((r) => r.path).sort();
    expect(deleted).toEqual([`/api/v1/namespaces/${NAMESPACE}/secrets/cairn-job-${job.id}-agent`, `/api/v1/namespaces/${NAMESPACE}/secrets/cairn-job-${job.id}-env`]);
    expect([...peer.secrets.keys()].filter((k) => k.includes(job.id))).toEqual([]);
    expect(peer.jobs.has(`${NAMESPACE}/cairn-job-${job.id}`)).toBe(false);
  });

  it("rejects with a plain error, not a refusal, when the API server cannot be reached", async () => {
    const error = await new KubernetesRunner(unreachable()).submit(launchOf(jobRow())).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(RunnerRefusal);
  });

  it("treats a second submit of the same job as the same Job, with the new token in its Secret", async () => {
    const job = jobRow();
    await runner.submit(launchOf(job));
    const again = { ...launchOf(job), resume: true };
    const from = peer.requests.length;
    await expect(runner.submit(again)).resolves.toEqual({ runnerJobId: `cairn-job-${job.id}` });
    expect(since(from).filter((r) => r.method === "PUT").length).toBe(2);
    expect(decoded(peer.secrets.get(`${NAMESPACE}/cairn-job-${job.id}-agent`))).toEqual({ token: again.token });
    expect(since(from).some((r) => r.method === "DELETE")).toBe(false);
  });

  it("cancels by deleting the Job in the foreground, and shrugs at a Job that is gone", async () => {
    const job = jobRow();
    const { runnerJobId } = await runner.submit(launchOf(job));
    const row = { ...job, runnerJobId };
    const from = peer.requests.length;
    await runner.cancel(row, { pending: false });
    const [request] = since(from);
    expect(request).toMatchObject({ method: "DELETE", path: `/apis/batch/v1/namespaces/${NAMESPACE}/jobs/${runnerJobId}`, query: { propagationPolicy: "Foreground" } });
    expect(peer.jobs.has(`${NAMESPACE}/${runnerJobId}`)).toBe(false);
    await expect(runner.cancel(row, { pending: true })).resolves.toBeUndefined();
    expect(since(from).map((r) => r.method)).toEqual(["DELETE", "DELETE"]);
  });

  it("maps pods and Job conditions onto engine states, and a deleted Job to unknown", async () => {
    const rows: Record<string, Job> = {};
    for (const name of ["unschedulable", "pull", "oom", "running", "deadline", "complete", "quota", "starting", "deleted", "crash"]) {
      const job = jobRow();
      rows[name] = { ...job, runnerJobId: (await runner.submit(launchOf(job))).runnerJobId };
    }
    const jobName = (name: string) => rows[name]?.runnerJobId ?? "";
    peer.setPod(jobName("unschedulable"), {
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/3 nodes are available: 3 Insufficient nvidia.com/gpu." }],
    });
    peer.setPod(jobName("pull"), {
      phase: "Pending",
      conditions: [{ type: "PodScheduled", status: "True" }],
      initContainerStatuses: [containerStatus("agent", { running: { startedAt: new Date().toISOString() } })],
      containerStatuses: [containerStatus("main", { waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${JOB_IMAGE}"` } })],
    });
    peer.setPod(jobName("oom"), { phase: "Failed", containerStatuses: [containerStatus("main", { terminated: { exitCode: 137, reason: "OOMKilled" } })] });
    peer.setJobStatus(jobName("oom"), { failed: 1, conditions: [{ type: "Failed", status: "True", reason: "BackoffLimitExceeded" }] });
    peer.setPod(jobName("running"), { phase: "Running", containerStatuses: [containerStatus("main", { running: { startedAt: new Date().toISOString() } })] });
    peer.setJobStatus(jobName("deadline"), { conditions: [{ type: "Failed", status: "True", reason: "DeadlineExceeded", message: "Job was active longer than specified deadline" }] });
    peer.setJobStatus(jobName("complete"), { succeeded: 1, conditions: [{ type: "Complete", status: "True" }] });
    peer.addEvent({ kind: "Job", name: jobName("quota"), type: "Warning", reason: "FailedCreate", message: "exceeded quota: gpu-quota" }, NAMESPACE);
    peer.setPod(jobName("starting"), { phase: "Pending", containerStatuses: [containerStatus("main", { waiting: { reason: "PodInitializing" } })] });
    peer.setPod(jobName("crash"), { phase: "Pending", initContainerStatuses: [containerStatus("agent", { waiting: { reason: "CrashLoopBackOff" } }, 4)] });
    await runner.cancel(rows.deleted as Job, { pending: true });

    const from = peer.requests.length;
    const states = await runner.inspect(Object.values(rows));
    const by = (name: string) => states.get(rows[name]?.id ?? "");
    expect(by("unschedulable")).toEqual({ state: "pending", reason: "Unschedulable: 0/3 nodes are available: 3 Insufficient nvidia.com/gpu." });
    expect(by("pull")).toEqual({ state: "pending", reason: "ImagePullBackOff" });
    expect(by("oom")).toEqual({ state: "ended", reason: "OOMKilled" });
    expect(by("running")).toEqual({ state: "running", reason: null });
    expect(by("deadline")).toEqual({ state: "ended", reason: "DeadlineExceeded" });
    expect(by("complete")).toEqual({ state: "ended", reason: "Complete" });
    expect(by("quota")).toEqual({ state: "pending", reason: "FailedCreate: exceeded quota: gpu-quota" });
    expect(by("starting")).toEqual({ state: "pending", reason: null });
    expect(by("crash")).toEqual({ state: "pending", reason: "CrashLoopBackOff" });
    expect(by("deleted")).toEqual({ state: "unknown" });
    expect(states.size).toBe(Object.keys(rows).length);

    const podLists = since(from).filter((r) => r.path === `/api/v1/namespaces/${NAMESPACE}/pods`);
    expect(podLists.map((r) => r.query.labelSelector).sort()).toEqual(
      Object.entries(rows).filter(([name]) => name !== "deleted").map(([, row]) => `cairn.dev/job-id=${row.id}`).sort(),
    );
  });

  it("answers unknown for every job when the API server cannot be asked", async () => {
    const job = jobRow({ runnerJobId: "cairn-job-x" });
    await expect(new KubernetesRunner(unreachable()).inspect([job])).resolves.toEqual(new Map([[job.id, { state: "unknown" }]]));
  });

  it("releases a job by deleting both of its Secrets, and again without complaint", async () => {
    const job = jobRow();
    await runner.submit(launchOf(job));
    expect([...peer.secrets.keys()].filter((k) => k.includes(job.id))).toHaveLength(2);
    const from = peer.requests.length;
    await runner.release(job);
    expect(since(from).map((r) => `${r.method} ${r.path}`).sort()).toEqual([
      `DELETE /api/v1/namespaces/${NAMESPACE}/secrets/cairn-job-${job.id}-agent`,
      `DELETE /api/v1/namespaces/${NAMESPACE}/secrets/cairn-job-${job.id}-env`,
    ]);
    expect([...peer.secrets.keys()].filter((k) => k.includes(job.id))).toEqual([]);
    await expect(runner.release(job)).resolves.toBeUndefined();
    // The Job itself stays for its TTL: the cluster removes it.
    expect(peer.jobs.has(`${NAMESPACE}/cairn-job-${job.id}`)).toBe(true);
  });
});
