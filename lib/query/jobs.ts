import { keepPreviousData, queryOptions } from "@tanstack/react-query";
import { api, searchParams } from "@/lib/api/client";
import type { JobList, JobLogLine, JobLogs, JobResponse, JobStatus, ListJobsQuery, RunnerInfo } from "@/lib/api/schemas/jobs";

export type JobListParams = Partial<Pick<ListJobsQuery, "q" | "status" | "type" | "checkpoint" | "limit" | "cursor">>;

const ACTIVE: readonly JobStatus[] = ["queued", "running"];
const POLL_MS = 2000;
export const LOG_POLL_MS = 1000;

/** Whether the job may still change (and holds its attachments), so views showing it poll. */
export function isJobActive(status: JobStatus): boolean {
  return ACTIVE.includes(status);
}

/** Whether a capture of the job is still on its way (found, or its files going up), even after the job ended. */
export function hasCaptureInFlight(job: Pick<JobResponse, "captures">): boolean {
  return job.captures.some((capture) => capture.status === "pending" || capture.status === "uploading");
}

/** How long a job is followed after *Retry capture*: the agent picks the request up on its next heartbeat. */
export const RETRY_FOLLOW_MS = 15_000;
const followUntil = new Map<string, number>();

/** Keeps polling the job `ref` for `ms` although nothing in it says it will change (a retry was just asked). */
export function followJob(ref: string, ms = RETRY_FOLLOW_MS): void {
  followUntil.set(ref, Date.now() + ms);
}

/** Whether a view of the job polls: while it is active, a capture is in flight, or it is being followed. */
export function isJobChanging(job: JobResponse, ref: string = job.id, now = Date.now()): boolean {
  return isJobActive(job.status) || hasCaptureInFlight(job) || (followUntil.get(ref) ?? 0) > now;
}

/** Path of a job (or a sub-resource of it) in the API; `ref` is an id or a name. */
export function jobPath(ref: string, rest = ""): string {
  return `/api/v1/jobs/${encodeURIComponent(ref)}${rest}`;
}

export const jobKeys = {
  all: ["jobs"] as const,
  lists: () => [...jobKeys.all, "list"] as const,
  list: (params: JobListParams) => [...jobKeys.lists(), params] as const,
  detail: (ref: string) => [...jobKeys.all, "detail", ref] as const,
  logs: (ref: string) => [...jobKeys.all, "logs", ref] as const,
  runner: () => [...jobKeys.all, "runner"] as const,
};

export const jobListQuery = (params: JobListParams) =>
  queryOptions({
    queryKey: jobKeys.list(params),
    queryFn: ({ signal }) => api.get<JobList>(`/api/v1/jobs${searchParams(params)}`, { signal }),
    placeholderData: keepPreviousData,
    refetchInterval: (query) => (query.state.data?.items.some((job) => isJobActive(job.status) || hasCaptureInFlight(job)) ? POLL_MS : false),
  });

export const jobQuery = (ref: string) =>
  queryOptions({
    queryKey: jobKeys.detail(ref),
    queryFn: ({ signal }) => api.get<JobResponse>(jobPath(ref), { signal }),
    refetchInterval: (query) => (query.state.data && isJobChanging(query.state.data, ref) ? POLL_MS : false),
  });

/** The deployment's job runner and the fields it honours; it changes only with the server's configuration. */
export const runnerInfoQuery = () =>
  queryOptions({
    queryKey: jobKeys.runner(),
    queryFn: ({ signal }) => api.get<RunnerInfo>("/api/v1/runner", { signal }),
    staleTime: 5 * 60_000,
  });

export type JobLogStream = { lines: JobLogLine[]; after: number; dropped: number };

const LOG_PAGE = 1000;
/** The log view keeps this many of the newest lines; older ones are counted, not kept. */
export const LOG_KEEP = 5000;

/**
 * The job's log, fetched incrementally: each fetch asks only for lines after the last id it
 * already holds (`previous`, read from the cache) and appends them, so polling a long log costs
 * only its new lines.
 */
export const jobLogStreamQuery = (ref: string, live: boolean, previous: () => JobLogStream | undefined) =>
  queryOptions({
    queryKey: jobKeys.logs(ref),
    queryFn: async ({ signal }): Promise<JobLogStream> => {
      const start = previous() ?? { lines: [], after: 0, dropped: 0 };
      let { lines, after } = start;
      // Catch up in pages when far behind (a first visit to a long log), then stop.
      for (let page = 0; page < 10; page += 1) {
        const answer = await api.get<JobLogs>(jobPath(ref, `/logs${searchParams({ after, limit: LOG_PAGE })}`), { signal });
        lines = answer.items.length > 0 ? [...lines, ...answer.items.filter((line) => line.id > after)] : lines;
        after = Math.max(after, answer.nextAfter);
        if (answer.items.length < LOG_PAGE) break;
      }
      const overflow = Math.max(0, lines.length - LOG_KEEP);
      return { lines: overflow ? lines.slice(overflow) : lines, after, dropped: start.dropped + overflow };
    },
    staleTime: live ? 0 : Infinity,
    refetchInterval: live ? LOG_POLL_MS : false,
  });
