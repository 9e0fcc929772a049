import { JobDetail } from "@/components/job-detail";
import { pageRef, refTitle, type RefPageProps } from "@/lib/ref-params";

export const generateMetadata = refTitle;

export default async function JobPage(props: RefPageProps) {
  const ref = await pageRef(props);
  return <JobDetail key={ref} jobRef={ref} />;
}
