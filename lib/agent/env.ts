/**
 * The agent's environment: what a runner sets when it starts `cairn job agent`, and what the
 * agent sets for the user's command. One list, read by both sides (no server imports here).
 */
export const AGENT_ENV = {
  /** The API base the agent talks to (`http://host:port`). */
  server: "CAIRN_SERVER",
  jobId: "CAIRN_JOB_ID",
  /** The job-scoped token, or a file holding it (0600), which keeps it out of the engine's records. */
  token: "CAIRN_JOB_TOKEN",
  tokenFile: "CAIRN_JOB_TOKEN_FILE",
  /** The job's directory: inputs/, outputs/, work/ and the agent's own state in .cairn/. */
  jobDir: "CAIRN_JOB_DIR",
  /** The node-local blob cache and its size limit (LRU beyond it). */
  cacheDir: "CAIRN_CACHE_DIR",
  cacheMaxBytes: "CAIRN_CACHE_MAX_BYTES",
  /** The server's filesystem blob store as mounted on this machine, when it is (inputs are then links). */
  sharedBlobDir: "CAIRN_SHARED_BLOB_DIR",
  /** `spawn` (default): the agent starts the command. `container`: another container runs it (Kubernetes). */
  mode: "CAIRN_AGENT_MODE",
  /** In containers: also link the seeds' literal paths (/input-checkpoint, /output-checkpoint, /opt/trainml/checkpoint). */
  seedPaths: "CAIRN_SEED_PATHS",
  /** Who the command runs as when the agent runs as root (default nobody). */
  jobUid: "CAIRN_JOB_UID",
  jobGid: "CAIRN_JOB_GID",
} as const;

/** What the user's command sees. */
export const JOB_ENV = {
  input: "FLEXAI_INPUT_CHECKPOINT_DIR",
  output: "FLEXAI_OUTPUT_CHECKPOINT_DIR",
  first: "TRAINML_CHECKPOINT_PATH",
  jobId: "CAIRN_JOB_ID",
} as const;

/** The job directory's layout, shared by the runners that create it and the agent that fills it. */
export const JOB_DIRS = { inputs: "inputs", outputs: "outputs", work: "work", state: ".cairn" } as const;

/** The wrapper the agent runs the command through writes its exit status here (in the state directory). */
export const EXIT_FILE = "exit-status";
