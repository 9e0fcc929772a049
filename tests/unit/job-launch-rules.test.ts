import { describe, expect, it } from "vitest";
import { draftProblems, serverProblems, toCreateBody, type LaunchDraft } from "@/components/job-launch-rules";
import { ApiClientError } from "@/lib/api/client";

const draft: LaunchDraft = {
  name: "resume-1",
  type: "training",
  commandLine: `python train.py --note "two words"`,
  throughShell: false,
  env: [
    { id: 1, key: "LR", value: "3e-5" },
    { id: 2, key: "", value: "" },
  ],
  checkpoints: [
    { ref: "11111111-1111-4111-8111-111111111111", name: "base", public: false },
    { ref: "22222222-2222-4222-8222-222222222222", name: "shared", public: true },
  ],
  captureOutputs: true,
};

describe("draftProblems", () => {
  it("accepts a valid draft and builds the API body, public picks flagged, blank env rows dropped", () => {
    expect(draftProblems(draft)).toMatchObject({ name: null, command: null, env: {} });
    expect(toCreateBody(draft)).toEqual({
      name: "resume-1",
      type: "training",
      command: ["python", "train.py", "--note", "two words"],
      checkpoints: [{ ref: draft.checkpoints[0]?.ref }, { ref: draft.checkpoints[1]?.ref, public: true }],
      captureOutputs: true,
      env: { LR: "3e-5" },
    });
  });

  it("applies the API's own rules: name, empty argument, reserved and duplicate variables", () => {
    const problems = draftProblems({
      ...draft,
      name: "Resume",
      commandLine: "python ''",
      env: [
        { id: 1, key: "TRAINML_CHECKPOINT_PATH", value: "/x" },
        { id: 2, key: "A", value: "1" },
        { id: 3, key: "A", value: "2" },
        { id: 4, key: "", value: "orphan" },
      ],
    });
    expect(problems.name).toMatch(/lower case/);
    expect(problems.command).toMatch(/empty/i);
    expect(problems.env[1]).toMatch(/set by Cairn/);
    expect(problems.env[2]).toBeUndefined();
    expect(problems.env[3]).toMatch(/set twice/);
    expect(problems.env[4]).toMatch(/Name this variable/);
  });
});

describe("serverProblems", () => {
  it("puts a 422 on checkpoints.N.ref on that chip and under the selector", () => {
    const error = new ApiClientError(422, "validation_failed", "Fix these fields", {
      fields: { "checkpoints.1.ref": "Checkpoint 'shared' is not ready." },
    });
    const problems = serverProblems(error, draft);
    expect(problems.checkpointRefs).toEqual({ [draft.checkpoints[1]?.ref ?? ""]: "Checkpoint 'shared' is not ready." });
    expect(problems.checkpoints).toBe("Checkpoint 'shared' is not ready.");
    expect(problems.form).toBeNull();
  });

  it("shows a taken name's full message on the name field and env errors on their row", () => {
    const taken = new ApiClientError(409, "conflict", "A job named 'resume-1' already exists in this organization. Pick another name.", {
      fields: { name: "already taken" },
    });
    expect(serverProblems(taken, draft).name).toMatch(/already exists/);
    const env = new ApiClientError(422, "validation_failed", "Fix", { fields: { "env.LR": "bad" } });
    expect(serverProblems(env, draft).env).toEqual({ 1: "bad" });
  });

  it("keeps what belongs to no field for the form", () => {
    const error = new ApiClientError(500, "internal", "Something went wrong on the server.");
    expect(serverProblems(error, draft).form).toBe("Something went wrong on the server.");
  });
});
