import type { Metadata } from "next";
import { Suspense } from "react";
import { CreateCheckpointForm } from "@/components/create-checkpoint-form";
import { AVAILABLE_SOURCE_TYPES } from "@/lib/checkpoints/source-types";

export const metadata: Metadata = { title: "Create checkpoint" };

export default function NewCheckpointPage() {
  return (
    <Suspense>
      <CreateCheckpointForm availableTypes={[...AVAILABLE_SOURCE_TYPES]} />
    </Suspense>
  );
}
