import type { Metadata } from "next";
import { CatalogDetail } from "@/components/catalog-detail";

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

export default async function CatalogCheckpointPage({ params }: Props) {
  const { ref } = await params;
  return <CatalogDetail key={ref} checkpointRef={decodeRef(ref)} />;
}
