import type { Metadata } from "next";
import { CreateTokenForm } from "@/components/create-token-form";
import { TokenList } from "@/components/token-list";

export const metadata: Metadata = { title: "API tokens" };

export default function TokensPage() {
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-xl font-semibold tracking-tight text-zinc-900">API tokens</h1>
        <p className="mt-1 text-sm text-zinc-500">Tokens act as you in every organization you belong to. Keep them secret.</p>
      </div>
      <section className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" aria-labelledby="new-token-heading">
        <h2 id="new-token-heading" className="mb-3 text-sm font-semibold text-zinc-900">
          New token
        </h2>
        <CreateTokenForm />
      </section>
      <TokenList />
    </div>
  );
}
