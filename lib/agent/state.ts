import { readFileSync } from "node:fs";
import { rename, writeFile } from "node:fs/promises";
import path from "node:path";

/** A batch of lines read from the logs but not yet acknowledged: re-sent as it is after a restart. */
export type PendingBatch = {
  seq: number;
  lines: { stream: "stdout" | "stderr" | "system"; message: string; at: string }[];
  /** Where each log file stands once this batch is stored. */
  offsets: Record<string, number>;
};

/**
 * What an agent keeps on disk so that another agent of the same job (after a SIGKILL, a node
 * restart of the agent) carries on where it stopped: the command it started, how far the logs are
 * stored, and which captures are done.
 */
export type AgentState = {
  /** The wrapper's pid while the command runs, and when it was started (pid reuse check). */
  commandPid: number | null;
  commandStartedAt: string | null;
  /** Bytes of each log file already stored, and the number of the next line. */
  offsets: Record<string, number>;
  seq: number;
  pending: PendingBatch | null;
  /** Output paths captured for good: path → the key of its ready capture. */
  captured: Record<string, string>;
  finishedReported: boolean;
};

const EMPTY: AgentState = { commandPid: null, commandStartedAt: null, offsets: {}, seq: 0, pending: null, captured: {}, finishedReported: false };

/** The state file in the job's state directory, written aside and renamed so a kill never leaves half of it. */
export class StateFile {
  readonly file: string;
  state: AgentState;
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = path.join(stateDir, "agent-state.json");
    this.state = StateFile.read(this.file);
  }

  private static read(file: string): AgentState {
    try {
      return { ...EMPTY, ...(JSON.parse(readFileSync(file, "utf8")) as Partial<AgentState>) };
    } catch {
      return structuredClone(EMPTY);
    }
  }

  /** Changes the state and writes it; writes happen one after another, the last one wins. */
  update(change: (state: AgentState) => void): Promise<void> {
    change(this.state);
    const snapshot = JSON.stringify(this.state);
    this.writing = this.writing.then(async () => {
      const temp = `${this.file}.${process.pid}.tmp`;
      await writeFile(temp, snapshot, { mode: 0o600 });
      await rename(temp, this.file);
    });
    return this.writing;
  }
}
