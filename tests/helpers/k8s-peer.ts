import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

/** A Kubernetes object as the peer keeps it: plain JSON, as the API server stores it. */
export type K8sObject = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; uid?: string; creationTimestamp?: string; [key: string]: unknown };
  [key: string]: unknown;
};

/** One request as the peer received it: `query` decoded, `body` parsed JSON (or the raw text, or null when empty). */
export type K8sRequest = { method: string; path: string; query: Record<string, string>; body: unknown; authorization: string | null };

/** What a test plays for the Job's pod: its `status` fields, as the kubelet reports them. */
export type PodPlay = {
  phase: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  reason?: string;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  containerStatuses?: unknown[];
  initContainerStatuses?: unknown[];
  /** What `GET pods/<name>/log` answers. */
  log?: string;
};

export type K8sPeer = {
  url: string;
  /** A kubeconfig pointing at the peer (plain HTTP, `insecure-skip-tls-verify`, a dummy token). */
  kubeconfigPath: string;
  /** The bearer token the kubeconfig carries; other tokens get a 401. */
  token: string;
  requests: K8sRequest[];
  /** Stored objects by `<namespace>/<name>`. */
  jobs: Map<string, K8sObject>;
  secrets: Map<string, K8sObject>;
  pods: Map<string, K8sObject>;
  /** Creates or replaces the (single) pod of a Job that exists, labelled as the Job controller would. */
  setPod(jobName: string, play: PodPlay, namespace?: string): K8sObject;
  /** Sets a Job's `status` (its conditions: `Failed`/`DeadlineExceeded`, `Complete`). */
  setJobStatus(jobName: string, status: Record<string, unknown>, namespace?: string): void;
  /** Adds an event about an object (`involvedObject.kind/name`). */
  addEvent(event: { kind: string; name: string; type: "Normal" | "Warning"; reason: string; message: string }, namespace?: string): void;
  /** The next Job create answers this Status instead (422 invalid, 403 forbidden by quota). */
  failNextCreate(code: number, message: string, reason?: string): void;
  close(): Promise<void>;
};

const REASONS: Record<number, string> = { 400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 405: "MethodNotAllowed", 409: "AlreadyExists", 422: "Invalid" };

/** A Kubernetes `Status` object, as the API server answers every failure. */
export function k8sStatus(code: number, message: string, reason = REASONS[code] ?? "InternalError", details?: Record<string, unknown>) {
  return { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details ? { details } : {}), code };
}

/** `a=b,c=d` (the equality forms of label and field selectors) as pairs; `!=` and set forms are refused. */
function selector(text: string | undefined): [string, string][] | null {
  if (!text) return [];
  const pairs: [string, string][] = [];
  for (const part of text.split(",")) {
    const match = /^([^=!]+)==?([^=]*)$/.exec(part.trim());
    if (!match) return null;
    pairs.push([match[1] ?? "", match[2] ?? ""]);
  }
  return pairs;
}

function field(object: unknown, dotted: string): unknown {
  return dotted.split(".").reduce<unknown>((value, key) => (value && typeof value === "object" ? (value as Record<string, unknown>)[key] : undefined), object);
}

/**
 * A loopback stand-in for the Kubernetes API server, for the calls `@kubernetes/client-node` 1.x
 * makes for the Kubernetes runner: Jobs (`POST`/`GET`/`DELETE /apis/batch/v1/namespaces/{ns}/jobs[/{name}]`),
 * Secrets (`POST`/`GET`/`PUT`/`DELETE /api/v1/namespaces/{ns}/secrets[/{name}]`), pods by label
 * (`GET /api/v1/namespaces/{ns}/pods?labelSelector=`), a pod's log and events by field selector.
 * Objects live in memory; failures are `Status` objects like the real server's. It runs no
 * controller: the test plays the pod's phases with `setPod` and the Job's conditions with `setJobStatus`.
 */
export async function startK8sPeer(options: { namespace?: string } = {}): Promise<K8sPeer> {
  const token = `cairn-peer-${randomUUID()}`;
  const requests: K8sRequest[] = [];
  const jobs = new Map<string, K8sObject>();
  const secrets = new Map<string, K8sObject>();
  const pods = new Map<string, K8sObject>();
  const logs = new Map<string, string>();
  const events: K8sObject[] = [];
  let nextCreateFailure: ReturnType<typeof k8sStatus> | null = null;
  const defaultNamespace = options.namespace ?? "default";

  const stamp = (object: K8sObject, namespace: string): K8sObject => {
    object.metadata = { ...object.metadata, namespace, uid: randomUUID(), resourceVersion: String(requests.length), creationTimestamp: new Date().toISOString() };
    return object;
  };

  /** The API server merges `stringData` into `data` (base64) and never returns it. */
  const storeSecret = (body: K8sObject): K8sObject => {
    const { stringData, ...rest } = body as K8sObject & { stringData?: Record<string, string>; data?: Record<string, string> };
    const data = { ...(rest.data as Record<string, string> | undefined) };
    for (const [key, value] of Object.entries(stringData ?? {})) data[key] = Buffer.from(value).toString("base64");
    return { ...rest, data };
  };

  const list = (kind: string, items: K8sObject[]) => ({ kind, apiVersion: kind === "JobList" ? "batch/v1" : "v1", metadata: { resourceVersion: String(requests.length) }, items });

  const route = (method: string, pathname: string, query: Record<string, string>, body: unknown): [number, unknown] => {
    const match = /^\/(?:api\/v1|apis\/batch\/v1)\/namespaces\/([^/]+)\/(jobs|secrets|pods|events)(?:\/([^/]+))?(?:\/(log))?$/.exec(pathname);
    if (!match) return [404, k8sStatus(404, `the server could not find the requested resource (${method} ${pathname})`)];
    const [, namespace = "", resource = "", name, sub] = match;
    const group = pathname.startsWith("/apis/batch/v1") ? "batch" : "core";
    if ((resource === "jobs") !== (group === "batch")) return [404, k8sStatus(404, `the server could not find the requested resource (${method} ${pathname})`)];
    const key = `${namespace}/${name ?? ""}`;
    const store = resource === "jobs" ? jobs : resource === "secrets" ? secrets : resource === "pods" ? pods : null;
    const singular = resource.replace(/s$/, "");
    const notFound = () => [404, k8sStatus(404, `${resource}${group === "batch" ? ".batch" : ""} "${name}" not found`, "NotFound", { name, group: group === "batch" ? "batch" : undefined, kind: resource })] as [number, unknown];

    if (sub === "log") {
      if (resource !== "pods" || method !== "GET" || !name) return [405, k8sStatus(405, "the server does not allow this method on the requested resource")];
      return pods.has(key) ? [200, logs.get(key) ?? ""] : notFound();
    }
    if (!name && method === "GET") {
      const labels = selector(query.labelSelector);
      const fields = selector(query.fieldSelector);
      if (!labels || !fields) return [400, k8sStatus(400, "unable to parse requirement: only equality selectors are served by this peer")];
      const pool = resource === "events" ? events.filter((e) => e.metadata.namespace === namespace) : [...(store?.values() ?? [])].filter((o) => o.metadata.namespace === namespace);
      const items = pool.filter((o) => labels.every(([k, v]) => o.metadata.labels?.[k] === v) && fields.every(([k, v]) => String(field(o, k) ?? "") === v));
      const kind = resource === "jobs" ? "JobList" : resource === "pods" ? "PodList" : resource === "events" ? "EventList" : "SecretList";
      return [200, list(kind, items)];
    }
    if (!store || resource === "pods") return [405, k8sStatus(405, "the server does not allow this method on the requested resource")];

    if (!name && method === "POST") {
      const object = body as K8sObject | null;
      const objectName = object?.metadata?.name;
      if (!object || typeof objectName !== "string" || !objectName) return [422, k8sStatus(422, `${singular}.metadata.name: Required value: name or generateName is required`)];
      if (object.metadata.namespace && object.metadata.namespace !== namespace) return [400, k8sStatus(400, "the namespace of the provided object does not match the namespace sent on the request")];
      if (resource === "jobs" && nextCreateFailure) {
        const failure = nextCreateFailure;
        nextCreateFailure = null;
        return [failure.code, failure];
      }
      const target = `${namespace}/${objectName}`;
      if (store.has(target)) return [409, k8sStatus(409, `${resource}${group === "batch" ? ".batch" : ""} "${objectName}" already exists`, "AlreadyExists", { name: objectName, kind: resource })];
      const stored = stamp(resource === "secrets" ? storeSecret(object) : { ...object, status: {} }, namespace);
      store.set(target, stored);
      return [201, stored];
    }
    if (!name) return [405, k8sStatus(405, "the server does not allow this method on the requested resource")];
    const existing = store.get(key);
    if (method === "GET") return existing ? [200, existing] : notFound();
    if (method === "PUT") {
      if (!existing) return notFound();
      const object = body as K8sObject | null;
      if (object?.metadata?.name !== name) return [400, k8sStatus(400, "the name of the object does not match the name on the URL")];
      const stored = { ...(resource === "secrets" ? storeSecret(object) : object), metadata: { ...existing.metadata, ...object.metadata } };
      store.set(key, stored);
      return [200, stored];
    }
    if (method === "DELETE") {
      if (!existing) return notFound();
      store.delete(key);
      // No garbage collector runs here: the Job's pods go with it at once, whatever the propagation policy.
      if (resource === "jobs") for (const [podKey, pod] of pods) if (pod.metadata.labels?.["batch.kubernetes.io/job-name"] === name && pod.metadata.namespace === namespace) pods.delete(podKey);
      return [200, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", details: { name, group: group === "batch" ? "batch" : "", kind: resource, uid: existing.metadata.uid } }];
    }
    return [405, k8sStatus(405, "the server does not allow this method on the requested resource")];
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://peer");
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = null;
      if (text) {
        try {
          body = JSON.parse(text);
        } catch {
          body = text;
        }
      }
      const method = req.method ?? "GET";
      const authorization = req.headers.authorization ?? null;
      requests.push({ method, path: url.pathname, query: Object.fromEntries(url.searchParams), body, authorization });
      const [code, answer] =
        authorization === `Bearer ${token}` ? route(method, url.pathname, Object.fromEntries(url.searchParams), body) : [401, k8sStatus(401, "Unauthorized")];
      const plain = typeof answer === "string";
      res.writeHead(code, { "content-type": plain ? "text/plain" : "application/json" });
      res.end(plain ? answer : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dir = await mkdtemp(path.join(os.tmpdir(), "cairn-k8s-peer-"));
  const kubeconfigPath = path.join(dir, "kubeconfig");
  // JSON is YAML: the kubeconfig needs no YAML writer. client-node 1.x talks plain HTTP only with insecure-skip-tls-verify.
  const kubeconfig = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "peer", cluster: { server: url, "insecure-skip-tls-verify": true } }],
    users: [{ name: "peer", user: { token } }],
    contexts: [{ name: "peer", context: { cluster: "peer", user: "peer", namespace: defaultNamespace } }],
    "current-context": "peer",
  };
  await writeFile(kubeconfigPath, JSON.stringify(kubeconfig, null, 2), { mode: 0o600 });

  const jobOf = (jobName: string, namespace: string) => {
    const job = jobs.get(`${namespace}/${jobName}`);
    if (!job) throw new Error(`k8s peer: no Job ${namespace}/${jobName}`);
    return job;
  };

  return {
    url,
    kubeconfigPath,
    token,
    requests,
    jobs,
    secrets,
    pods,
    setPod(jobName, play, namespace = defaultNamespace) {
      const job = jobOf(jobName, namespace);
      const templateLabels = (field(job, "spec.template.metadata.labels") as Record<string, string> | undefined) ?? {};
      for (const [key, pod] of pods) if (pod.metadata.labels?.["batch.kubernetes.io/job-name"] === jobName && pod.metadata.namespace === namespace) pods.delete(key);
      const name = `${jobName}-${randomUUID().slice(0, 5)}`;
      const pod = stamp(
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace, labels: { ...templateLabels, "batch.kubernetes.io/job-name": jobName, "job-name": jobName } },
          spec: field(job, "spec.template.spec") ?? {},
          status: {
            phase: play.phase,
            ...(play.reason ? { reason: play.reason } : {}),
            conditions: play.conditions ?? [],
            containerStatuses: play.containerStatuses ?? [],
            initContainerStatuses: play.initContainerStatuses ?? [],
          },
        },
        namespace,
      );
      pods.set(`${namespace}/${name}`, pod);
      if (play.log !== undefined) logs.set(`${namespace}/${name}`, play.log);
      return pod;
    },
    setJobStatus(jobName, status, namespace = defaultNamespace) {
      jobOf(jobName, namespace).status = status;
    },
    addEvent(event, namespace = defaultNamespace) {
      const now = new Date().toISOString();
      events.push(
        stamp(
          {
            apiVersion: "v1",
            kind: "Event",
            metadata: { name: `${event.name}.${randomUUID().slice(0, 8)}`, namespace },
            involvedObject: { kind: event.kind, name: event.name, namespace },
            type: event.type,
            reason: event.reason,
            message: event.message,
            firstTimestamp: now,
            lastTimestamp: now,
            count: 1,
          },
          namespace,
        ),
      );
    },
    failNextCreate(code, message, reason) {
      nextCreateFailure = k8sStatus(code, message, reason);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
}
