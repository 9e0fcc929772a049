import type { Metadata } from "next";
import { Suspense } from "react";
import { CheckpointsDashboard } from "@/components/checkpoints-dashboard";

export const metadata: Metadata = { title: "Checkpoints" };

export default function CheckpointsPage() {
  return (
    <Suspense>
      <CheckpointsDashboard />
    </Suspense>
  );
}
