import type { Metadata } from "next";

/** The props of a page under `[ref]`: a checkpoint's or job's name or id, URL-encoded. */
export type RefPageProps = { params: Promise<{ ref: string }> };

/** The ref as the user typed it; a malformed escape is taken literally rather than failing the page. */
export async function pageRef({ params }: RefPageProps): Promise<string> {
  const { ref } = await params;
  try {
    return decodeURIComponent(ref);
  } catch {
    return ref;
  }
}

/** `generateMetadata` for a `[ref]` page: the ref is the title. */
export async function refTitle(props: RefPageProps): Promise<Metadata> {
  return { title: await pageRef(props) };
}
