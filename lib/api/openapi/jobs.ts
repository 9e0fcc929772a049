import {
  createJobBody,
  jobAttachment,
  jobCapture,
  jobListResponse,
  jobLogsQuery,
  jobLogsResponse,
  jobResponse,
  listJobsQuery,
  runnerInfo,
} from "@/lib/api/schemas/jobs";
import { lineageQuery } from "@/lib/api/schemas/lineage";
import { lineage } from "./checkpoint-lineage";
import { bodyComponent, json, responseComponent, type Area } from "./registry";

const ref = { ref: "The job's id (UUID) or name." };
const read = { kind: "user", permission: "read" } as const;
const write = { kind: "user", permission: "write" } as const;

responseComponent("JobAttachment", jobAttachment);
responseComponent("JobCapture", jobCapture);
const job = responseComponent("Job", jobResponse);

export const jobsArea: Area = {
  tag: "Jobs",
  description:
    "Jobs run a command with checkpoints mounted read-only under `$FLEXAI_INPUT_CHECKPOINT_DIR/<name>/`; each sub-directory written to `$FLEXAI_OUTPUT_CHECKPOINT_DIR` becomes a checkpoint. The configured runner (local, Slurm, Kubernetes) starts the job's agent.",
  operations: [
    {
      id: "listJobs",
      method: "get",
      path: "/api/v1/jobs",
      summary: "List jobs",
      access: read,
      query: listJobsQuery,
      responses: { 200: json("One page of jobs, newest first.", responseComponent("JobList", jobListResponse)) },
    },
    {
      id: "createJob",
      method: "post",
      path: "/api/v1/jobs",
      summary: "Launch a job",
      description: "`command` is an argv array. A resource the configured runner cannot honour is a 422 naming it; a checkpoint a queued or running job cannot use, too.",
      access: write,
      body: { schema: bodyComponent("CreateJobBody", createJobBody) },
      responses: { 201: json("The job, `queued`.", job) },
      errors: [404, 409],
    },
    {
      id: "getJob",
      method: "get",
      path: "/api/v1/jobs/{ref}",
      summary: "A job",
      access: read,
      params: ref,
      responses: { 200: json("The job with its attachments, outputs and captures.", job) },
    },
    {
      id: "getJobLogs",
      method: "get",
      path: "/api/v1/jobs/{ref}/logs",
      summary: "A job's output lines",
      description: "Poll with `?after=` the `nextAfter` of the previous answer to get only newer lines.",
      access: read,
      params: ref,
      query: jobLogsQuery,
      responses: { 200: json("Lines, oldest first.", responseComponent("JobLogs", jobLogsResponse)) },
    },
    {
      id: "stopJob",
      method: "post",
      path: "/api/v1/jobs/{ref}/stop",
      summary: "Stop a job",
      description: "A waiting job ends at once; a running one gets SIGTERM (SIGKILL after the grace period) and makes a final capture.",
      access: write,
      params: ref,
      responses: { 200: json("The job, `stopped` or stopping.", job) },
      errors: [409],
    },
    {
      id: "retryJobCaptures",
      method: "post",
      path: "/api/v1/jobs/{ref}/captures/retry",
      summary: "Retry a job's failed captures",
      access: write,
      params: ref,
      responses: { 202: json("The job; its agent retries the captures.", job) },
      errors: [409],
    },
    {
      id: "getJobLineage",
      method: "get",
      path: "/api/v1/jobs/{ref}/lineage",
      summary: "The checkpoints and jobs around a job",
      access: read,
      params: ref,
      query: lineageQuery,
      responses: { 200: json("Nodes and edges, `depth` steps out.", lineage) },
    },
    {
      id: "getRunner",
      method: "get",
      path: "/api/v1/runner",
      summary: "The deployment's job runner",
      description: "Which runner launches jobs and which job fields it honours.",
      access: read,
      responses: { 200: json("The runner and what it accepts.", responseComponent("RunnerInfo", runnerInfo)) },
    },
  ],
};
