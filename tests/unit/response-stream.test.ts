import { PassThrough, Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { responseStream } from "@/lib/api/response-stream";

describe("responseStream", () => {
  it("passes every byte through in order", async () => {
    const chunks = [Buffer.from("alpha "), Buffer.from("beta "), Buffer.from("gamma")];
    const body = await new Response(responseStream(Readable.from(chunks))).text();
    expect(body).toBe("alpha beta gamma");
  });

  it("destroys the source when the client goes away, and later data does not throw", async () => {
    const source = new PassThrough();
    const reader = responseStream(source).getReader();
    source.write(Buffer.from("first"));
    const first = await reader.read();
    expect(Buffer.from(first.value ?? []).toString()).toBe("first");
    const pending = reader.read();
    await reader.cancel();
    expect(source.destroyed).toBe(true);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it("errors the body when the source fails", async () => {
    const source = new PassThrough();
    const reader = responseStream(source).getReader();
    source.destroy(new Error("disk gone"));
    await expect(reader.read()).rejects.toThrow("disk gone");
  });
});
