import type { Metadata } from "next";
import { CatalogList } from "@/components/catalog-list";

export const metadata: Metadata = { title: "Public catalog" };

export default function CatalogPage() {
  return <CatalogList />;
}
