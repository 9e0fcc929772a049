import "server-only";
import type { Db } from "@/lib/db/client";
import type { Checkpoint } from "@/lib/db/schema";
import { modelFacts, type ModelFacts } from "@/lib/model-facts/kinds";
import type { HubViewer } from "./access";
import { lfsPointer } from "./lfs";
import { openRepo, repoFiles, type HubRepo, type ManifestFile } from "./repo";
import type { ModelInfoQuery } from "./schemas";

function facts(checkpoint: Checkpoint): ModelFacts | null {
  const parsed = modelFacts.safeParse(checkpoint.model);
  return parsed.success ? parsed.data : null;
}

/** What the Hub derives from config.json and the model card, where the facts Cairn read hold it. */
function modelFields(model: ModelFacts | null): Record<string, unknown> {
  if (!model) return {};
  const fields: Record<string, unknown> = {};
  if (model.architecture || model.modelType) {
    fields.config = { ...(model.architecture ? { architectures: [model.architecture] } : {}), ...(model.modelType ? { model_type: model.modelType } : {}) };
  }
  const baseModel = model.adapter?.baseModel;
  if (model.license || baseModel) fields.cardData = { ...(model.license ? { license: model.license } : {}), ...(baseModel ? { base_model: baseModel } : {}) };
  const dtypes = Object.keys(model.parametersByDtype);
  if (model.format === "safetensors" && dtypes.length > 0 && model.parameters !== null) {
    fields.safetensors = { parameters: model.parametersByDtype, total: model.parameters };
  }
  return fields;
}

function sibling(file: ManifestFile, withBlobs: boolean) {
  if (!withBlobs) return { rfilename: file.path };
  const pointer = lfsPointer(file);
  return { rfilename: file.path, size: file.size, blobId: pointer.oid, lfs: { sha256: file.sha256, size: file.size, pointerSize: pointer.pointerSize } };
}

/** The Hub's model object, every field it has that Cairn knows. */
export function presentModel(repo: HubRepo, files: readonly ManifestFile[], query: ModelInfoQuery): Record<string, unknown> {
  const { checkpoint, org } = repo;
  const lastModified = (checkpoint.readyAt ?? checkpoint.updatedAt).toISOString();
  const all: Record<string, unknown> = {
    _id: checkpoint.id,
    id: repo.id,
    modelId: repo.id,
    author: org.slug,
    sha: repo.commit,
    lastModified,
    createdAt: checkpoint.createdAt.toISOString(),
    private: checkpoint.visibility !== "public",
    gated: false,
    disabled: false,
    downloads: 0,
    likes: 0,
    tags: [],
    usedStorage: checkpoint.size,
    ...modelFields(facts(checkpoint)),
    siblings: files.map((file) => sibling(file, query.blobs)),
  };
  // As on the Hub: with `expand`, only the properties asked for (and the ids) come back.
  if (query.expand.length === 0) return all;
  const wanted = new Set(["_id", "id", ...query.expand]);
  return Object.fromEntries(Object.entries(all).filter(([key]) => wanted.has(key)));
}

/** `GET /api/models/{ns}/{name}[/revision/{rev}]`: what `model_info`, `repo_info` and `modelInfo` read. */
export async function modelInfo(db: Db, viewer: HubViewer, target: { ns: string; name: string; revision: string }, query: ModelInfoQuery) {
  const repo = await openRepo(db, viewer, target);
  return presentModel(repo, await repoFiles(db, repo), query);
}
