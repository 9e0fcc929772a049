import { describe, expect, it } from "vitest";
import { normalizeCheckpointPath, parseFileArg, parsePairs } from "@/lib/cli/args";
import { configValues } from "@/lib/cli/connection";
import { targetPath } from "@/lib/cli/fetch";
import { sourceUriFor } from "@/lib/cli/remote-source";

describe("--file <source_path>[=<checkpoint_path>]", () => {
  it("takes a bare path as the source", () => {
    expect(parseFileArg("out/model.pt")).toEqual({ source: "out/model.pt" });
  });

  it("splits source and checkpoint path at '='", () => {
    expect(parseFileArg("out/model.pt=weights/model.pt")).toEqual({ source: "out/model.pt", target: "weights/model.pt" });
  });

  it("keeps '=' inside a local path that exists", () => {
    const exists = (candidate: string) => candidate === "runs/lr=0.1/ckpt.pt" || candidate === "runs/lr=0.1";
    expect(parseFileArg("runs/lr=0.1/ckpt.pt", exists)).toEqual({ source: "runs/lr=0.1/ckpt.pt" });
    expect(parseFileArg("runs/lr=0.1/ckpt.pt=best.pt", exists)).toEqual({ source: "runs/lr=0.1/ckpt.pt", target: "best.pt" });
    expect(parseFileArg("runs/lr=0.1=all/", exists)).toEqual({ source: "runs/lr=0.1", target: "all" });
  });

  it("normalises the checkpoint path and refuses '..'", () => {
    expect(parseFileArg("a=./x//y/")).toEqual({ source: "a", target: "x/y" });
    expect(parseFileArg("a=")).toEqual({ source: "a" });
    expect(() => parseFileArg("a=../etc/passwd")).toThrow(/may not contain '\.\.'/);
    expect(() => parseFileArg("=b")).toThrow(/source path before '=' is empty/);
    expect(normalizeCheckpointPath("dir\\file.bin")).toBe("dir/file.bin");
  });
});

describe("KEY=VALUE options", () => {
  it("parses pairs and keeps '=' in values", () => {
    expect(parsePairs(["A=1", "B=x=y", "C="], "--env")).toEqual({ A: "1", B: "x=y", C: "" });
    expect(() => parsePairs(["NOVALUE"], "--env")).toThrow("--env NOVALUE: expected KEY=VALUE.");
  });

  it("turns true/false connection settings into booleans", () => {
    expect(configValues(["forcePathStyle=true", "region=eu-west-1"])).toEqual({ forcePathStyle: true, region: "eu-west-1" });
  });
});

describe("paths", () => {
  it("keeps fetched files inside the destination", () => {
    expect(targetPath("/tmp/dest", "a/b.bin")).toBe("/tmp/dest/a/b.bin");
    expect(() => targetPath("/tmp/dest", "../escape")).toThrow(/outside the checkpoint/);
  });

  it("turns --source-path into the source type's URI", () => {
    expect(sourceUriFor("s3", "bucket/ckpts/")).toBe("s3://bucket/ckpts/");
    expect(sourceUriFor("gcs", "/bucket/x")).toBe("gs://bucket/x");
    expect(sourceUriFor("s3", "s3://already/there")).toBe("s3://already/there");
    expect(sourceUriFor("azure", "container/p/", { config: { accountName: "acct" } })).toBe("https://acct.blob.core.windows.net/container/p/");
    expect(sourceUriFor("huggingface", "org/repo")).toBe("org/repo");
  });
});
