import { describe, expect, it } from "vitest";
import { draftProblems, emptyResources, hasProblems, resourceProblem, serverProblems, toCreateBody, type LaunchDraft } from "@/components/job-launch-rules";
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
  resources: emptyResources(),
};

const slurm = ["gpus", "cpus", "memoryGb", "timeLimitMinutes", "partition"] as const;

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

describe("resource fields", () => {
  it("sends only the filled fields the runner accepts, as numbers, partition and image beside resources", () => {
    const withResources: LaunchDraft = {
      ...draft,
      resources: { gpus: " 1 ", cpus: "4", memoryGb: "0.5", timeLimitMinutes: "", partition: "gpu", image: "pytorch/pytorch:2.4.0" },
    };
    expect(draftProblems(withResources, slurm).resourceFields).toEqual({});
    const body = toCreateBody(withResources, slurm);
    expect(body).toMatchObject({ resources: { gpus: 1, cpus: 4, memoryGb: 0.5 }, partition: "gpu" });
    expect(body).not.toHaveProperty("image");
    expect(body.resources).not.toHaveProperty("timeLimitMinutes");
    // The local runner honours none of them: nothing is sent, nothing is checked.
    const local = toCreateBody({ ...withResources, resources: { ...withResources.resources, gpus: "lots" } }, []);
    expect(local).not.toHaveProperty("resources");
    expect(local).not.toHaveProperty("partition");
    expect(hasProblems(draftProblems({ ...withResources, resources: { ...withResources.resources, gpus: "lots" } }, []))).toBe(false);
  });

  it("takes whole numbers of at least 1 for counts, a positive number of GiB, and the API's partition and image rules", () => {
    expect(resourceProblem("gpus", "")).toBeNull();
    expect(resourceProblem("gpus", "2")).toBeNull();
    expect(resourceProblem("gpus", "0")).toMatch(/At least 1 GPU/);
    expect(resourceProblem("gpus", "1.5")).toMatch(/whole number of GPUs/);
    expect(resourceProblem("cpus", "-2")).toMatch(/whole number of CPUs/);
    expect(resourceProblem("cpus", "5000")).toMatch(/At most 4,096 CPUs/);
    expect(resourceProblem("timeLimitMinutes", "two hours")).toMatch(/whole number of minutes/);
    expect(resourceProblem("memoryGb", "0.5")).toBeNull();
    expect(resourceProblem("memoryGb", "0")).toMatch(/More than 0 GiB/);
    expect(resourceProblem("memoryGb", "16GB")).toMatch(/memory in GiB/);
    expect(resourceProblem("partition", "gpu-a100")).toBeNull();
    expect(resourceProblem("partition", "gpu a100")).toMatch(/partition name/);
    expect(resourceProblem("image", "my image")).toMatch(/image reference/);
    const problems = draftProblems({ ...draft, resources: { ...emptyResources(), gpus: "0" } }, slurm);
    expect(problems.resourceFields.gpus).toMatch(/At least 1/);
    expect(hasProblems(problems)).toBe(true);
  });
});

describe("serverProblems", () => {
  it("puts the runner's 422 on the field it names, Slurm's refusal with the resources, and unseen fields on the form", () => {
    const honour = new ApiClientError(422, "validation_failed", "This Cairn runs jobs with the local runner…", {
      fields: { "resources.gpus": "The local runner cannot honour gpus.", image: "The local runner cannot honour image." },
    });
    expect(serverProblems(honour, draft).resourceFields).toEqual({
      gpus: "The local runner cannot honour gpus.",
      image: "The local runner cannot honour image.",
    });
    const shownSlurm = serverProblems(honour, draft, slurm);
    expect(shownSlurm.resourceFields).toEqual({ gpus: "The local runner cannot honour gpus." });
    expect(shownSlurm.form).toBe("The local runner cannot honour image.");

    const refusal = "Slurm refused the job: Batch job submission failed: Requested node configuration is not available";
    const refused = serverProblems(new ApiClientError(422, "validation_failed", refusal, { fields: { resources: refusal } }), draft, slurm);
    expect(refused.resources).toBe(refusal);
    expect(refused.form).toBeNull();
    const partition = serverProblems(new ApiClientError(422, "validation_failed", "Slurm refused", { fields: { partition: "invalid partition" } }), draft, slurm);
    expect(partition.resourceFields).toEqual({ partition: "invalid partition" });
  });

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
