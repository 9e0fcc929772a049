import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createElement } from "react";
import { renderToString } from "react-dom/server";
import { describe, expect, it } from "vitest";
import { HfSnippet } from "@/components/hf-snippet";
import { meKeys, type Me } from "@/lib/query/me";

const me = {
  user: { id: "u1", email: "a@example.com", name: null },
  org: { id: "org-1", role: "owner", usageBytes: 0, logicalBytes: 0, quotaBytes: 1 },
  orgs: [{ id: "org-1", name: "Acme", slug: "acme", role: "owner" }],
} as Me;

function render(ownerOrgId: string): string {
  const client = new QueryClient();
  client.setQueryData(meKeys.all, me);
  return renderToString(createElement(QueryClientProvider, { client }, createElement(HfSnippet, { ownerOrgId, name: "tiny-llm" })));
}

const text = (html: string) => html.replace(/<[^>]+>/g, "").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#x27;/g, "'");

describe("Use with Hugging Face snippet", () => {
  it("names the repo <org-slug>/<checkpoint> and sets HF_ENDPOINT before huggingface_hub is imported", () => {
    const shown = text(render("org-1"));
    expect(shown).toContain("Use with Hugging Face");
    expect(shown).toContain("Repo id acme/tiny-llm");
    // On the server the origin is unknown; the browser fills in its own.
    const python = shown.slice(shown.indexOf("import os"));
    expect(python.indexOf('os.environ["HF_ENDPOINT"] = "<this console\'s URL>"')).toBeGreaterThan(-1);
    expect(python.indexOf("HF_ENDPOINT")).toBeLessThan(python.indexOf("from huggingface_hub import snapshot_download"));
    expect(python).toContain('snapshot_download("acme/tiny-llm")');
    expect(python).toContain('AutoModel.from_pretrained("acme/tiny-llm")');
    expect(shown).toContain("Copy Python");
  });

  it("shows nothing for a checkpoint of an organization whose slug the viewer does not know", () => {
    expect(render("someone-else")).toBe("");
  });
});
