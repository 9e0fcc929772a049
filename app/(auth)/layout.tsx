import type { ReactNode } from "react";
import { CairnMark } from "@/components/cairn-mark";

export default function AuthLayout({ children }: { children: ReactNode }) {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center px-4 py-12">
      <div className="mb-6 flex items-center gap-2 text-zinc-900">
        <CairnMark className="size-7" />
        <span className="text-lg font-semibold tracking-tight">Cairn</span>
      </div>
      <div className="w-full max-w-sm rounded-xl border border-zinc-200 bg-white p-6 shadow-sm">{children}</div>
    </main>
  );
}
