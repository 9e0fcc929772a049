import { CatalogDetail } from "@/components/catalog-detail";
import { pageRef, refTitle, type RefPageProps } from "@/lib/ref-params";

export const generateMetadata = refTitle;

export default async function CatalogCheckpointPage(props: RefPageProps) {
  const ref = await pageRef(props);
  return <CatalogDetail key={ref} checkpointRef={ref} />;
}
