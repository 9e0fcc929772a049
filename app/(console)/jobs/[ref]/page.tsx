import type { Metadata } from "next";
import { JobDetail } from "@/components/job-detail";

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

export default async function JobPage({ params }: Props) {
  const { ref } = await params;
  return <JobDetail key={ref} jobRef={decodeRef(ref)} />;
}
