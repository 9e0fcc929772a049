import { z } from "zod";
import { derivePresets } from "@/lib/checkpoints/derive-rule";
import { globProblem } from "@/lib/checkpoints/path-globs";
import { checkpointFile, checkpointName } from "./checkpoints";

const glob = z
  .string({ error: "A glob is a string, such as *.safetensors." })
  .min(1, "A glob cannot be empty.")
  .max(500, "A glob has at most 500 characters.")
  .superRefine((value, ctx) => {
    const problem = globProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const globList = (what: string) =>
  z.array(glob, { error: `${what} is a list of globs, such as ["*.safetensors", "config.json"].` }).max(100, `${what} holds at most 100 globs.`);

/** Which files of the source a derived checkpoint keeps (lib/checkpoints/derive-rule.ts reads it). */
export const deriveSelection = z.strictObject(
  {
    preset: z.enum(derivePresets, { error: `preset must be one of: ${derivePresets.join(", ")}.` }).optional(),
    include: globList("include").optional().describe("Keep only files matching one of these globs."),
    exclude: globList("exclude").optional().describe("Drop files matching any of these globs."),
  },
  { error: (issue) => (issue.code === "unrecognized_keys" ? "Not a field of a derive: send name, preset, include and exclude." : undefined) },
);

/** `POST /checkpoints/{ref}/derive`. */
export const deriveCheckpointBody = deriveSelection.extend({ name: checkpointName });
export type DeriveCheckpointBody = z.infer<typeof deriveCheckpointBody>;

/** `POST /checkpoints/{ref}/derive/preview`: the same body; the name is optional and not checked. */
export const derivePreviewBody = deriveSelection.extend({ name: z.string().optional() });
export type DerivePreviewBody = z.infer<typeof derivePreviewBody>;

export const derivePreviewResponse = z.object({
  kept: z.array(checkpointFile),
  dropped: z.array(checkpointFile.extend({ reason: z.string() })),
  keptFiles: z.number(),
  keptBytes: z.number(),
  droppedFiles: z.number(),
  droppedBytes: z.number(),
});
export type DerivePreview = z.infer<typeof derivePreviewResponse>;
