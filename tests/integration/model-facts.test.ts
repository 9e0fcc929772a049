import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as list from "@/app/api/v1/checkpoints/route";
import * as one from "@/app/api/v1/checkpoints/[ref]/route";
import * as file from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commit from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as licenseRoute from "@/app/api/v1/checkpoints/[ref]/license/route";
import * as jobsRoute from "@/app/api/v1/jobs/route";
import { licenseAcceptances } from "@/lib/db/schema";
import type { CheckpointList, CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import { factsSummary, type ModelFacts } from "@/lib/model-facts/kinds";
import { startFactsWorkers } from "@/lib/model-facts/worker";
import { call, json, useTempDataDir } from "../helpers/api";
import { signUpWithToken, type TestUser } from "../helpers/accounts";
import { openTestDatabase, testDatabases, type TestDatabase } from "../helpers/db";
import type { ApiServer } from "../helpers/api-server";
import { settleJobs, useJobRunner } from "../helpers/jobs";
import { safetensorsFile as safetensors, type TestTensor } from "../helpers/safetensors";


const PYTHON = "/usr/bin/python3";

/** Files torch itself writes: a state_dict, a training checkpoint with Adam state, a hostile pickle. */
function torchFixtures(dir: string) {
  execFileSync(
    PYTHON,
    [
      "-c",
      `
import os, sys, torch
torch.manual_seed(0)
out = sys.argv[1]
model = torch.nn.Sequential(torch.nn.Linear(10, 20), torch.nn.ReLU(), torch.nn.Linear(20, 5))
torch.save(model.state_dict(), os.path.join(out, "state_dict.pt"))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
model(torch.randn(4, 10)).sum().backward()
opt.step()
torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3, "step": 120}, os.path.join(out, "training.pt"))
torch.save(opt.state_dict(), os.path.join(out, "optimizer.pt"))
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + os.path.join(out, "PWNED"),))
torch.save({"weight": torch.zeros(2), "payload": Evil()}, os.path.join(out, "evil.pt"))
`,
      dir,
    ],
    { stdio: "pipe" },
  );
}

describe.each(testDatabases)("model facts on %s", (kind) => {
  let database: TestDatabase;
  let data: ReturnType<typeof useTempDataDir>;
  let user: TestUser;
  let torchDir: string;
  let server: ApiServer;

  beforeAll(async () => {
    data = useTempDataDir();
    database = await openTestDatabase(kind);
    user = await signUpWithToken("facts");
    torchDir = mkdtempSync(path.join(os.tmpdir(), "cairn-torch-"));
    torchFixtures(torchDir);
    await startFactsWorkers({ concurrency: 1 });
    server = await useJobRunner("local");
  }, 120_000);
  afterAll(async () => {
    await settleJobs(database.db);
    await server.close();
    await database.close();
    data.cleanup();
    rmSync(torchDir, { recursive: true, force: true });
  });

  /** Uploads the files as a local checkpoint, commits it and waits for its facts. */
  async function checkpointWith(name: string, files: Record<string, Buffer | string>, owner: TestUser = user): Promise<CheckpointResponse & { status: { model: ModelFacts } }> {
    const created = await call(list.POST, "/api/v1/checkpoints", { method: "POST", token: owner.token, body: { name, sourceType: "local" } });
    expect(created.status).toBe(201);
    for (const [filePath, body] of Object.entries(files)) {
      const parts = filePath.split("/");
      const put = await call(file.PUT, `/api/v1/checkpoints/${name}/files/${filePath}`, { method: "PUT", token: owner.token, rawBody: Buffer.from(body), params: { ref: name, path: parts } });
      expect(put.status, await put.clone().text()).toBeLessThan(300);
    }
    const sealed = await call(commit.POST, `/api/v1/checkpoints/${name}/commit`, { method: "POST", token: owner.token, params: { ref: name } });
    expect(sealed.status).toBe(200);
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await json<CheckpointResponse>(await call(one.GET, `/api/v1/checkpoints/${name}`, { token: owner.token, params: { ref: name } }));
      expect(answer.status.status).toBe("ready");
      if (answer.status.model) return answer as CheckpointResponse & { status: { model: ModelFacts } };
      if (Date.now() > deadline) throw new Error(`no model facts for ${name} after 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  const llamaWeights = {
    "model.embed_tokens.weight": { dtype: "BF16", shape: [1000, 64] },
    "model.layers.0.self_attn.q_proj.weight": { dtype: "BF16", shape: [64, 64] },
    "model.layers.1.self_attn.q_proj.weight": { dtype: "BF16", shape: [64, 64] },
    "model.norm.weight": { dtype: "F32", shape: [64] },
  } satisfies Record<string, TestTensor>;

  it("reads a Trainer checkpoint: parameters by dtype, architecture, step, losses, license, inference-ready", async () => {
    const { status } = await checkpointWith("llama-step-2000", {
      "config.json": JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama", hidden_size: 64, num_hidden_layers: 2, vocab_size: 1000, torch_dtype: "bfloat16" }),
      "model.safetensors": safetensors(llamaWeights, { format: "pt" }),
      "optimizer.pt": readFileSync(path.join(torchDir, "optimizer.pt")),
      "trainer_state.json": JSON.stringify({
        global_step: 2000,
        epoch: 1.5,
        best_metric: 1.31,
        best_model_checkpoint: "out/checkpoint-2000",
        log_history: [
          { step: 1000, loss: 2.1 },
          { step: 1000, eval_loss: 1.7 },
          { step: 2000, loss: 1.42 },
          { step: 2000, eval_loss: 1.31 },
        ],
      }),
      "tokenizer.json": "{}",
      "README.md": "---\nlicense: apache-2.0\nlibrary_name: transformers\n---\n# A tiny llama\n",
    });
    const model = status.model;
    expect(model.format).toBe("safetensors");
    expect(model.architecture).toBe("LlamaForCausalLM");
    expect(model.modelType).toBe("llama");
    // 1000×64 + 2×64×64 in BF16, 64 in F32; the optimizer's Adam state is not the model's.
    expect(model.parameters).toBe(72_256);
    expect(model.parametersByDtype).toEqual({ BF16: 72_192, F32: 64 });
    expect(model.tensors).toBe(4);
    expect(model.config).toEqual({ hiddenSize: 64, layers: 2, vocabSize: 1000, torchDtype: "bfloat16" });
    expect(model.step).toBe(2000);
    expect(model.epoch).toBe(1.5);
    expect(model.metrics).toMatchObject({ loss: 1.42, eval_loss: 1.31, best_metric: 1.31 });
    expect(model.bestCheckpoint).toBe("out/checkpoint-2000");
    expect(model.license).toBe("apache-2.0");
    expect(model.modelCard).toBe("README.md");
    expect(model.tokenizer).toBe(true);
    expect(model.inferenceReady).toBe(true);
    expect(model.problems).toEqual([]);
    expect(factsSummary(model)).toBe("72.3 K parameters · BF16 · LlamaForCausalLM · step 2000 · eval loss 1.31");
  });

  it("says a text model without a tokenizer is not inference-ready, and names a missing shard", async () => {
    const half = Object.fromEntries(Object.entries(llamaWeights).slice(0, 2));
    const { status } = await checkpointWith("llama-sharded", {
      "config.json": JSON.stringify({ architectures: ["LlamaForCausalLM"], model_type: "llama" }),
      "model-00001-of-00002.safetensors": safetensors(half),
      "model.safetensors.index.json": JSON.stringify({
        metadata: { total_size: 1 },
        weight_map: { "model.embed_tokens.weight": "model-00001-of-00002.safetensors", "model.norm.weight": "model-00002-of-00002.safetensors" },
      }),
    });
    expect(status.model.parameters).toBe(1000 * 64 + 64 * 64);
    expect(status.model.tokenizer).toBe(false);
    expect(status.model.inferenceReady).toBe(false);
    expect(status.model.problems).toEqual(["model.safetensors.index.json: names the shard model-00002-of-00002.safetensors, which is not in the checkpoint"]);
  });

  it("reads torch.save files: a state_dict, and a training checkpoint without counting its optimizer", async () => {
    const plain = await checkpointWith("torch-state-dict", { "model.pt": readFileSync(path.join(torchDir, "state_dict.pt")) });
    expect(plain.status.model.format).toBe("pytorch");
    expect(plain.status.model.parameters).toBe(10 * 20 + 20 + 20 * 5 + 5);
    expect(plain.status.model.parametersByDtype).toEqual({ F32: 325 });
    expect(plain.status.model.tensors).toBe(4);

    const training = await checkpointWith("torch-training", { "checkpoint.pt": readFileSync(path.join(torchDir, "training.pt")) });
    expect(training.status.model.parameters).toBe(325);
    expect(training.status.model.tensors).toBe(4);
    expect(training.status.model.step).toBe(120);
    expect(training.status.model.epoch).toBe(3);
    expect(training.status.model.problems).toEqual([]);
  });

  it("reads a PEFT adapter as one model: base, rank, alpha, target modules", async () => {
    const { status } = await checkpointWith("lora-adapter", {
      "adapter_config.json": JSON.stringify({ peft_type: "LORA", base_model_name_or_path: "meta-llama/Llama-3.1-8B", r: 16, lora_alpha: 32, target_modules: ["q_proj", "v_proj"], task_type: "CAUSAL_LM" }),
      "adapter_model.safetensors": safetensors({
        "base_model.model.layers.0.q_proj.lora_A.weight": { dtype: "F32", shape: [16, 64] },
        "base_model.model.layers.0.q_proj.lora_B.weight": { dtype: "F32", shape: [64, 16] },
      }),
    });
    expect(status.model.adapter).toEqual({ type: "LORA", baseModel: "meta-llama/Llama-3.1-8B", r: 16, alpha: 32, targetModules: ["q_proj", "v_proj"] });
    expect(status.model.parameters).toBe(2048);
    expect(status.model.inferenceReady).toBe(true);
    expect(factsSummary(status.model)).toContain("LORA r=16 on meta-llama/Llama-3.1-8B");
  });

  it("keeps a checkpoint with hostile headers ready, says which file and why, and runs nothing", async () => {
    const bomb = Buffer.alloc(8 + 16);
    bomb.writeBigUInt64LE(1_000_000_000n);
    const { status } = await checkpointWith("hostile", {
      "model.safetensors": bomb,
      "evil.pt": readFileSync(path.join(torchDir, "evil.pt")),
      "config.json": "[".repeat(100_000),
    });
    expect(status.status).toBe("ready");
    const problems = status.model.problems.join("\n");
    expect(problems).toMatch(/^model\.safetensors: .*1000000000/m);
    expect(problems).toMatch(/^evil\.pt: .*system/m);
    expect(problems).toMatch(/^config\.json: is not valid JSON/m);
    expect(existsSync(path.join(torchDir, "PWNED"))).toBe(false);
  });

  it("filters the list by architecture (any case) and by weight format", async () => {
    await checkpointWith("filter-llama", { "config.json": JSON.stringify({ architectures: ["LlamaForCausalLM"] }), "model.safetensors": safetensors(llamaWeights) });
    await checkpointWith("filter-torch", { "model.pt": readFileSync(path.join(torchDir, "state_dict.pt")) });
    const names = async (query: Record<string, string>) =>
      (await json<CheckpointList>(await call(list.GET, "/api/v1/checkpoints", { token: user.token, query: { ...query, q: "filter-" } }))).items.map((c) => c.metadata.name);
    expect(await names({ architecture: "llamaforcausallm" })).toEqual(["filter-llama"]);
    expect(await names({ format: "pytorch" })).toEqual(["filter-torch"]);
    expect(await names({ format: "gguf" })).toEqual([]);
    const refused = await call(list.GET, "/api/v1/checkpoints", { token: user.token, query: { format: "onnx" } });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await json(refused))).toMatch(/format/);
  });

  it("shows the facts in the YAML inspect", async () => {
    await checkpointWith("yaml-facts", { "model.pt": readFileSync(path.join(torchDir, "state_dict.pt")) });
    const yaml = await (await call(one.GET, "/api/v1/checkpoints/yaml-facts", { token: user.token, params: { ref: "yaml-facts" }, query: { format: "yaml" } })).text();
    // In the API's order (format first), not the database's.
    expect(yaml).toMatch(/\n {2}model:\n {4}format: pytorch\n {4}architecture: null\n/);
    expect(yaml).toMatch(/\n {4}parameters: 325\n/);
  });

  it("asks another organization's user to accept a public checkpoint's license once, and records who and when", async () => {
    const publisher = await signUpWithToken("publisher");
    await checkpointWith("licensed-base", { "model.pt": readFileSync(path.join(torchDir, "state_dict.pt")), "LICENSE": "MIT License\n\nCopyright (c) 2026 Someone\n" }, publisher);
    const published = await call(one.PATCH, "/api/v1/checkpoints/licensed-base", { method: "PATCH", token: publisher.token, params: { ref: "licensed-base" }, body: { visibility: "public" } });
    expect(published.status).toBe(200);

    const launch = (name: string, acceptLicense?: boolean) =>
      call(jobsRoute.POST, "/api/v1/jobs", {
        method: "POST",
        token: user.token,
        body: { name, type: "training", command: ["true"], captureOutputs: false, checkpoints: [{ ref: "licensed-base", public: true, ...(acceptLicense ? { acceptLicense } : {}) }] },
      });
    const refused = await launch("uses-licensed");
    expect(refused.status).toBe(422);
    const envelope = await json<{ error: { code: string; message: string; details: { fields: Record<string, string>; license: string } } }>(refused);
    expect(envelope.error.details.license).toBe("mit");
    expect(envelope.error.details.fields["checkpoints.0.acceptLicense"]).toMatch(/licensed under mit\. Read its license, then accept it/);
    const state = async () => json<{ license: string; required: boolean; acceptedAt: string | null }>(await call(licenseRoute.GET, "/api/v1/checkpoints/licensed-base/license", { token: user.token, params: { ref: "licensed-base" } }));
    expect(await state()).toEqual({ license: "mit", required: true, acceptedAt: null });

    expect((await launch("uses-licensed", true)).status).toBe(201);
    const accepted = await state();
    expect(accepted.acceptedAt).not.toBeNull();
    const rows = await database.db.select().from(licenseAcceptances);
    expect(rows).toEqual([expect.objectContaining({ userId: user.id, license: "mit" })]);
    // Once is enough: the next job attaches it without asking, and the first record stays.
    expect((await launch("uses-licensed-again")).status).toBe(201);
    expect((await state()).acceptedAt).toBe(accepted.acceptedAt);
    // The publisher's own organization is never asked.
    const own = await call(licenseRoute.GET, "/api/v1/checkpoints/licensed-base/license", { token: publisher.token, params: { ref: "licensed-base" } });
    expect(await json(own)).toEqual({ license: "mit", required: false, acceptedAt: null });
  });
});
