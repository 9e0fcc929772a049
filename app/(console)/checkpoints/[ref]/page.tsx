import { CheckpointDetail } from "@/components/checkpoint-detail";
import { pageRef, refTitle, type RefPageProps } from "@/lib/ref-params";

export const generateMetadata = refTitle;

export default async function CheckpointPage(props: RefPageProps) {
  const ref = await pageRef(props);
  return <CheckpointDetail key={ref} checkpointRef={ref} />;
}
