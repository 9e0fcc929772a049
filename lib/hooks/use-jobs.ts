"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api } from "@/lib/api/client";
import type { CreateJobBody, JobResponse } from "@/lib/api/schemas/jobs";
import { checkpointKeys } from "@/lib/query/checkpoints";
import {
  followJob,
  jobKeys,
  jobListQuery,
  jobLogStreamQuery,
  jobPath,
  jobQuery,
  runnerInfoQuery,
  type JobListParams,
  type JobLogStream,
} from "@/lib/query/jobs";

export function useJobList(params: JobListParams, options: { enabled?: boolean } = {}) {
  return useQuery({ ...jobListQuery(params), enabled: options.enabled ?? true });
}

export function useJob(ref: string) {
  return useQuery(jobQuery(ref));
}

/** The configured runner and which resource fields the launch form offers. */
export function useRunnerInfo() {
  return useQuery(runnerInfoQuery());
}

/** The job's log, polled for new lines while `live`; one last fetch when it stops being live. */
export function useJobLogs(ref: string, live: boolean) {
  const queryClient = useQueryClient();
  const query = useQuery(jobLogStreamQuery(ref, live, () => queryClient.getQueryData<JobLogStream>(jobKeys.logs(ref))));
  const wasLive = useRef(live);
  useEffect(() => {
    if (wasLive.current && !live) void queryClient.invalidateQueries({ queryKey: jobKeys.logs(ref) });
    wasLive.current = live;
  }, [live, ref, queryClient]);
  return query;
}

export function useCreateJob() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: CreateJobBody) => api.post<JobResponse>("/api/v1/jobs", body),
    onSuccess: (job) => {
      queryClient.setQueryData(jobKeys.detail(job.name), job);
      void queryClient.invalidateQueries({ queryKey: jobKeys.lists() });
      // Attached checkpoints now list the job under "used by".
      void queryClient.invalidateQueries({ queryKey: checkpointKeys.all });
    },
  });
}

export function useStopJob(ref: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<JobResponse | undefined>(jobPath(ref, "/stop")),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: jobKeys.all }),
  });
}

/**
 * *Retry capture*: every failed capture of the job `ref` is tried again. The job is followed for a
 * few seconds after, since its captures change only once the agent picks the request up.
 */
export function useRetryCaptures(ref: string) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: () => api.post<JobResponse>(jobPath(ref, "/captures/retry")),
    onSuccess: () => {
      followJob(ref);
      // The job, and its log (which now says who asked for the retry).
      return queryClient.invalidateQueries({ queryKey: jobKeys.all });
    },
  });
}
