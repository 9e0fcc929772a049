import type { Metadata } from "next";
import { CheckpointDetail } from "@/components/checkpoint-detail";

type Props = { params: Promise<{ ref: string }> };

function decodeRef(ref: string): string {
  try {
    return decodeURIComponent(ref);
  } catch {
    return ref;
  }
}

export async function generateMetadata({ params }: Props): Promise<Metadata> {
  const { ref } = await params;
  return { title: decodeRef(ref) };
}

export default async function CheckpointPage({ params }: Props) {
  const { ref } = await params;
  return <CheckpointDetail key={ref} checkpointRef={decodeRef(ref)} />;
}
