/** The shapes of the HTTP API the CLI reads; declared here so the CLI imports nothing server-side. */
export type CheckpointFile = { path: string; size: number; sha256: string };

export type CheckpointProgress = { bytesDone: number; bytesTotal: number | null; filesDone: number; filesTotal: number | null };

export type CheckpointObject = {
  kind: "Checkpoint";
  metadata: { id: string; name: string; creatorUserID: string | null; ownerOrgID: string; visibility: string };
  spec: { sourceType: string; sourceUri: string | null; storageProvider: string | null; sourceOptions: Record<string, string>; fromLocalFiles: string[] };
  status: {
    status: string;
    message: string | null;
    progress: CheckpointProgress;
    size: number;
    fileCount: number;
    files?: CheckpointFile[];
    usedBy: { jobId: string; jobName: string; status: string }[];
    storageProviderID?: string;
    createdAt: string;
    updatedAt: string;
    readyAt: string | null;
  };
};

export type Connection = { id: string; name: string; provider: string; config: Record<string, unknown>; createdAt?: string };

export type ExportObject = {
  id: string;
  status: string;
  connection?: string;
  destinationPath?: string;
  message?: string | null;
  progress?: Partial<CheckpointProgress>;
  bytesDone?: number;
  bytesTotal?: number | null;
  createdAt?: string;
};

export type Job = {
  id: string;
  name: string;
  type: string;
  status: string;
  message?: string | null;
  command: string[];
  checkpoints: { id: string; name: string; mountPath: string; public?: boolean }[];
  outputs: string[];
  exitCode: number | null;
  runner?: string;
  statusMessage?: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
};
