import { afterAll, beforeAll, expect } from "vitest";
import * as checkpointsRoute from "@/app/api/v1/checkpoints/route";
import * as checkpointRoute from "@/app/api/v1/checkpoints/[ref]/route";
import * as fileRoute from "@/app/api/v1/checkpoints/[ref]/files/[...path]/route";
import * as commitRoute from "@/app/api/v1/checkpoints/[ref]/commit/route";
import * as membersRoute from "@/app/api/v1/orgs/current/members/route";
import type { ErrorCode } from "@/lib/api/errors";
import type { CheckpointResponse } from "@/lib/api/schemas/checkpoints";
import type { JobResponse } from "@/lib/api/schemas/jobs";
import type { RunnerKind } from "@/lib/jobs/kinds";
import * as api from "./api";
import { call, json } from "./api";
import { signUpWithToken, type TestUser } from "./accounts";
import { startApiServer, type ApiServer } from "./api-server";
import { openTestDatabase, type TestDatabase } from "./db";
import * as jobs from "./jobs";
import { eventually, settleJobs } from "./jobs";

export { call, json } from "./api";
export { checkAnswer } from "./openapi";
export { signUpWithToken, type TestUser } from "./accounts";
export { testDatabases, type TestDatabase } from "./db";
export { sha256 } from "./files";
export { eventually, readyCheckpoint } from "./jobs";

/** The API's error body (lib/api/errors.ts), with the details the specs look into. */
export type Envelope = {
  error: { code: string; message: string; details?: { fields?: Record<string, string> } & Record<string, unknown> };
};
/** A checkpoint as the API answers it (lib/checkpoints/present.ts). */
export type CheckpointAnswer = CheckpointResponse;
/** A job as the API answers it (lib/jobs/present.ts). */
export type JobAnswer = JobResponse;
/** One page of a cursor-paged list. */
export type ListAnswer<T> = { items: T[]; nextCursor: string | null; total: number };

type SuiteOptions<U extends string> = {
  /** Users signed up (each in an org of their own, with a token), by name; the name is their email prefix. */
  users?: readonly U[];
  /** Set before anything opens, restored after everything closed; a function is read once earlier hooks ran (a peer's address). */
  env?: Record<string, string> | (() => Record<string, string>);
  /** Serve the app on loopback (`suite.server`) for the peers in processes of their own: the CLI, a tus client. */
  server?: boolean;
  /**
   * Install a job runner behind that server (tests/helpers/jobs.ts `useJobRunner`); `env` may be a
   * function, read once earlier hooks have run (a cluster's address). Closing waits for every job to end.
   */
  jobs?: { runner?: RunnerKind; env?: Record<string, string> | (() => Record<string, string>) };
};

export type ApiSuite<U extends string> = {
  /** The database of this suite, fresh and migrated, installed as the app's. */
  readonly database: TestDatabase;
  /** A data directory of its own (CAIRN_DATA_DIR): blobs, uploads, keys. */
  readonly dataDir: string;
  /** The loopback server, with `server` or `jobs`. */
  readonly server: ApiServer;
  /**
   * Each user is one object for the whole suite, filled in by beforeAll, so `const { alice } =
   * suite.users` may sit at describe level; its fields are empty until then.
   */
  readonly users: Record<U, TestUser>;
};

/**
 * Registers the beforeAll/afterAll of an API suite on the enclosing describe: env, data dir,
 * database (`kind` as in `testDatabases`), server or job runner, then users; closed in reverse.
 * Hooks a file registers after this call run after it and are undone before it (vitest's stack
 * order), so they may use the database and users. `database`, `dataDir` and `server` throw until
 * beforeAll has run.
 */
export function useApiSuite<U extends string = never>(kind: string, opts: SuiteOptions<U> = {}): ApiSuite<U> {
  let database: TestDatabase | undefined;
  let data: ReturnType<typeof api.useTempDataDir> | undefined;
  let server: ApiServer | undefined;
  const users = Object.fromEntries((opts.users ?? []).map((name) => [name, {} as TestUser])) as Record<U, TestUser>;
  const saved: Record<string, string | undefined> = {};
  const remember = (keys: string[]) => {
    for (const key of keys) if (!(key in saved)) saved[key] = process.env[key];
  };

  beforeAll(async () => {
    const env = typeof opts.env === "function" ? opts.env() : opts.env;
    remember(Object.keys(env ?? {}));
    Object.assign(process.env, env);
    // Called through their modules: the React hooks lint takes a bare `use…` call in a callback for a hook.
    data = api.useTempDataDir();
    database = await openTestDatabase(kind);
    if (opts.jobs) {
      const runnerEnv = typeof opts.jobs.env === "function" ? opts.jobs.env() : opts.jobs.env;
      // The variables useJobRunner sets, restored with the rest.
      remember(["CAIRN_JOB_RUNNER", "CAIRN_AGENT_SERVER_URL", "CAIRN_AGENT_HEARTBEAT_SECONDS", ...Object.keys(runnerEnv ?? {})]);
      server = await jobs.useJobRunner(opts.jobs.runner ?? "local", runnerEnv);
    } else if (opts.server) {
      server = await startApiServer();
    }
    for (const name of opts.users ?? []) Object.assign(users[name], await signUpWithToken(name));
  });
  afterAll(async () => {
    if (opts.jobs && database) await settleJobs(database.db);
    await server?.close();
    await database?.close();
    data?.cleanup();
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  const ready = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`useApiSuite: ${what} exists once beforeAll has run`);
    return value;
  };
  return {
    get database() {
      return ready(database, "the database");
    },
    get dataDir() {
      return ready(data, "the data directory").dir;
    },
    get server() {
      return ready(server, "the server (pass `server: true` or `jobs`)");
    },
    users,
  };
}

/** `POST /checkpoints`: a `local` checkpoint unless `extra` says otherwise; the raw answer. */
export const createCheckpoint = (user: TestUser, name: string, extra: Record<string, unknown> = {}, headers?: Record<string, string>) =>
  call(checkpointsRoute.POST, "/api/v1/checkpoints", { method: "POST", token: user.token, headers, body: { name, sourceType: "local", ...extra } });

/** `PUT /checkpoints/{ref}/files/{path}`; `path` as a string is split at `/`. The raw answer. */
export const putFile = (user: TestUser, ref: string, path: string | string[], body: BodyInit, headers?: Record<string, string>) => {
  const parts = typeof path === "string" ? path.split("/") : path;
  return call(fileRoute.PUT, `/api/v1/checkpoints/${ref}/files/${parts.join("/")}`, { method: "PUT", token: user.token, headers, rawBody: body, params: { ref, path: parts } });
};

/** `POST /checkpoints/{ref}/commit`; the raw answer. */
export const commitCheckpoint = (user: TestUser, ref: string, headers?: Record<string, string>) =>
  call(commitRoute.POST, `/api/v1/checkpoints/${ref}/commit`, { method: "POST", token: user.token, headers, params: { ref } });

/** `GET /checkpoints/{ref}`; throws unless it answers 200. */
export async function getCheckpoint(user: TestUser, ref: string): Promise<CheckpointAnswer> {
  const response = await call(checkpointRoute.GET, `/api/v1/checkpoints/${ref}`, { token: user.token, params: { ref } });
  if (response.status !== 200) throw new Error(`get checkpoint ${ref}: ${response.status} ${await response.text()}`);
  return json<CheckpointAnswer>(response);
}

/** Polls the checkpoint until its status is one of `statuses`; fails after `timeoutMs` saying what it was. */
export async function untilCheckpointStatus(user: TestUser, ref: string, statuses: string | string[], timeoutMs = 30_000): Promise<CheckpointAnswer> {
  const wanted = typeof statuses === "string" ? [statuses] : statuses;
  let last = "";
  return eventually(
    async () => `checkpoint ${ref} to be ${wanted.join(" or ")}; it is ${last}`,
    async () => {
      const checkpoint = await getCheckpoint(user, ref);
      last = `${checkpoint.status.status}${checkpoint.status.message ? ` (${checkpoint.status.message})` : ""}`;
      return wanted.includes(checkpoint.status.status) ? checkpoint : null;
    },
    timeoutMs,
  );
}

/** Adds `member` to `admin`'s current org with `role`; throws unless it answers 201. */
export async function addMember(admin: TestUser, member: TestUser, role: "admin" | "member" | "viewer"): Promise<void> {
  const response = await call(membersRoute.POST, "/api/v1/orgs/current/members", { method: "POST", token: admin.token, body: { email: member.email, role } });
  if (response.status !== 201) throw new Error(`add member ${member.email}: ${response.status} ${await response.text()}`);
}

/** Asserts the response is the error envelope with this status and code; resolves with the body for more checks. */
export async function expectError(response: Response, status: number, code: ErrorCode): Promise<Envelope> {
  const text = await response.text();
  expect(response.status, text).toBe(status);
  const body = JSON.parse(text) as Envelope;
  expect(body.error.code, text).toBe(code);
  return body;
}
