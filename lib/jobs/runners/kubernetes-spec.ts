import "server-only";
import type { V1Container, V1Job, V1Secret, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import { CONTAINER_MARKERS, CONTAINER_WRAPPER } from "@/lib/agent/container";
import { AGENT_ENV, JOB_DIRS, JOB_ENV } from "@/lib/agent/env";
import { config } from "@/lib/config";
import type { Job } from "@/lib/db/schema";
import { RunnerRefusal, type AgentLaunch } from "../runner";

/** Where the pod's volumes are mounted, in both containers unless said otherwise. */
export const K8S_PATHS = {
  /** The job directory (an emptyDir): inputs/, outputs/, work/ and the agent's state in .cairn/. */
  jobDir: "/cairn",
  /** The node's blob cache (an emptyDir, or `CAIRN_K8S_CACHE_HOST_PATH`). */
  cache: "/var/cache/cairn",
  /** The server's filesystem blob store, read-only (`CAIRN_K8S_BLOB_PVC`). */
  blobs: "/cairn-blobs",
  /** The seeds' literal paths in the main container: sub-paths of the job directory. */
  seedInput: "/input-checkpoint",
  seedOutput: "/output-checkpoint",
  seedFirst: "/opt/trainml/checkpoint",
} as const;

export const K8S_LABELS = { jobId: "cairn.dev/job-id", orgId: "cairn.dev/org-id" } as const;
/** The main container's name (the agent's is `agent`). */
export const MAIN_CONTAINER = "main";
export const AGENT_CONTAINER = "agent";
/** The key of the agent Secret that holds the job-scoped token. */
export const TOKEN_KEY = "token";

/** What the pod is given beyond the command's own grace period, for the agent's final capture. */
const DEFAULT_CAPTURE_GRACE_SECONDS = 300;
/** The startup probe polls every 2 s for up to a day: large inputs take the time they take. */
const PROBE_PERIOD_SECONDS = 2;
const PROBE_FAILURES = (24 * 3600) / PROBE_PERIOD_SECONDS;

export const k8sNames = (jobId: string) => ({
  job: `cairn-job-${jobId}`,
  envSecret: `cairn-job-${jobId}-env`,
  agentSecret: `cairn-job-${jobId}-agent`,
});

const labels = (job: Job): Record<string, string> => ({ [K8S_LABELS.jobId]: job.id, [K8S_LABELS.orgId]: job.orgId });

/** The optional settings of this runner that `config()` does not carry. */
function k8sOptions() {
  const grace = Number(process.env.CAIRN_K8S_CAPTURE_GRACE_SECONDS);
  return {
    cacheHostPath: process.env.CAIRN_K8S_CACHE_HOST_PATH || null,
    blobPvc: process.env.CAIRN_K8S_BLOB_PVC || null,
    captureGraceSeconds: Number.isInteger(grace) && grace >= 0 ? grace : DEFAULT_CAPTURE_GRACE_SECONDS,
  };
}

/** The two Secrets of a job: the user's variables (for the main container) and the agent's token. */
export function secretManifests(launch: AgentLaunch): { env: V1Secret; agent: V1Secret } {
  const names = k8sNames(launch.job.id);
  const metadata = (name: string) => ({ name, labels: labels(launch.job) });
  return {
    env: { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: metadata(names.envSecret), stringData: { ...launch.env } },
    agent: { apiVersion: "v1", kind: "Secret", type: "Opaque", metadata: metadata(names.agentSecret), stringData: { [TOKEN_KEY]: launch.token } },
  };
}

function limits(job: Job): { limits?: Record<string, string>; requests?: Record<string, string> } {
  const { gpus, cpus, memoryGb } = job.resources;
  const requests: Record<string, string> = {};
  if (cpus) requests.cpu = String(cpus);
  if (memoryGb) requests.memory = `${memoryGb}Gi`;
  const all = { ...requests, ...(gpus ? { "nvidia.com/gpu": String(gpus) } : {}) };
  return Object.keys(all).length === 0 ? {} : { limits: all, ...(Object.keys(requests).length ? { requests } : {}) };
}

/**
 * The `batch/v1` Job of a Cairn job: one pod, never retried, whose agent is a native sidecar (an
 * init container with `restartPolicy: Always`) that lays out the inputs before the main container
 * may start (its startup probe waits for `inputs-ready`), and captures the outputs until the end.
 */
export function jobManifest(launch: AgentLaunch): V1Job {
  const cfg = config();
  const options = k8sOptions();
  const { job } = launch;
  const image = job.image || cfg.kubernetes.jobImage;
  if (!image) throw new RunnerRefusal("No container image for the job: set `image` on the job, or CAIRN_JOB_IMAGE on the Cairn server.", "image");
  const names = k8sNames(job.id);
  const state = `${K8S_PATHS.jobDir}/${JOB_DIRS.state}`;

  const volumes: V1Volume[] = [
    { name: "cairn", emptyDir: {} },
    options.cacheHostPath ? { name: "cache", hostPath: { path: options.cacheHostPath, type: "DirectoryOrCreate" } } : { name: "cache", emptyDir: {} },
    ...(options.blobPvc ? [{ name: "blobs", persistentVolumeClaim: { claimName: options.blobPvc, readOnly: true } }] : []),
  ];
  // Inputs the agent could not hard-link are symlinks into the cache or the blob store: the main
  // container sees both read-only, at the same paths, so the links resolve there too.
  const shared = (cacheReadOnly: boolean): V1VolumeMount[] => [
    { name: "cairn", mountPath: K8S_PATHS.jobDir },
    { name: "cache", mountPath: K8S_PATHS.cache, readOnly: cacheReadOnly },
    ...(options.blobPvc ? [{ name: "blobs", mountPath: K8S_PATHS.blobs, readOnly: true }] : []),
  ];

  const agent: V1Container = {
    name: AGENT_CONTAINER,
    image: cfg.kubernetes.agentImage,
    restartPolicy: "Always",
    command: ["cairn", "job", "agent"],
    env: [
      { name: AGENT_ENV.server, value: launch.serverUrl },
      { name: AGENT_ENV.jobId, value: job.id },
      { name: AGENT_ENV.jobDir, value: K8S_PATHS.jobDir },
      { name: AGENT_ENV.mode, value: "container" },
      { name: AGENT_ENV.cacheDir, value: K8S_PATHS.cache },
      ...(options.blobPvc ? [{ name: AGENT_ENV.sharedBlobDir, value: K8S_PATHS.blobs }] : []),
      { name: AGENT_ENV.token, valueFrom: { secretKeyRef: { name: names.agentSecret, key: TOKEN_KEY } } },
    ],
    volumeMounts: shared(false),
    startupProbe: {
      exec: { command: ["test", "-f", `${state}/${CONTAINER_MARKERS.inputsReady}`] },
      periodSeconds: PROBE_PERIOD_SECONDS,
      failureThreshold: PROBE_FAILURES,
    },
    resources: { requests: { cpu: "100m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    securityContext: { allowPrivilegeEscalation: false },
  };

  const main: V1Container = {
    name: MAIN_CONTAINER,
    image,
    command: ["/bin/sh", "-c", CONTAINER_WRAPPER, "cairn-job", state, ...job.command],
    workingDir: `${K8S_PATHS.jobDir}/${JOB_DIRS.work}`,
    envFrom: [{ secretRef: { name: names.envSecret } }],
    env: [
      { name: JOB_ENV.input, value: `${K8S_PATHS.jobDir}/${JOB_DIRS.inputs}` },
      { name: JOB_ENV.output, value: `${K8S_PATHS.jobDir}/${JOB_DIRS.outputs}` },
      ...(launch.firstInput ? [{ name: JOB_ENV.first, value: `${K8S_PATHS.jobDir}/${JOB_DIRS.inputs}/${launch.firstInput}` }] : []),
      { name: JOB_ENV.jobId, value: job.id },
    ],
    volumeMounts: [
      ...shared(true),
      { name: "cairn", mountPath: K8S_PATHS.seedInput, subPath: JOB_DIRS.inputs, readOnly: true },
      { name: "cairn", mountPath: K8S_PATHS.seedOutput, subPath: JOB_DIRS.outputs },
      ...(launch.firstInput ? [{ name: "cairn", mountPath: K8S_PATHS.seedFirst, subPath: `${JOB_DIRS.inputs}/${launch.firstInput}`, readOnly: true }] : []),
    ],
    resources: limits(job),
    securityContext: { allowPrivilegeEscalation: false },
  };

  const minutes = job.resources.timeLimitMinutes;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: names.job, labels: labels(job) },
    spec: {
      backoffLimit: 0,
      ttlSecondsAfterFinished: cfg.kubernetes.ttlSecondsAfterFinished,
      ...(minutes ? { activeDeadlineSeconds: Math.ceil(minutes * 60) } : {}),
      template: {
        metadata: { labels: labels(job) },
        spec: {
          restartPolicy: "Never",
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000 },
          terminationGracePeriodSeconds: cfg.jobStopGraceSeconds + options.captureGraceSeconds,
          volumes,
          initContainers: [agent],
          containers: [main],
        },
      },
    },
  };
}
