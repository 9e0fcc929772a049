import type { Metadata } from "next";
import { CheckpointCompare } from "@/components/checkpoint-compare";

type ComparePageProps = { params: Promise<{ ref: string; other: string }> };

const decode = (value: string) => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

export async function generateMetadata({ params }: ComparePageProps): Promise<Metadata> {
  const { ref, other } = await params;
  return { title: `${decode(ref)} ↔ ${decode(other)}` };
}

export default async function ComparePage({ params }: ComparePageProps) {
  const { ref, other } = await params;
  return <CheckpointCompare a={decode(ref)} b={decode(other)} />;
}
