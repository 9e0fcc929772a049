import type { Metadata } from "next";
import { Suspense } from "react";
import { JobLaunchPage } from "@/components/job-launch-page";

export const metadata: Metadata = { title: "Launch a job" };

export default function NewJobPage() {
  return (
    <Suspense>
      <JobLaunchPage />
    </Suspense>
  );
}
