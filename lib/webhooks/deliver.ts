import "server-only";
import { createHmac } from "node:crypto";
import type { Readable } from "node:stream";
import { BlockedAddressError } from "@/lib/net/guard";
import { guardedRequest } from "@/lib/sources/guarded-fetch";
import type { WebhookEvent } from "./kinds";

/** `X-Cairn-Signature`: the hex HMAC-SHA256 of the exact body bytes, keyed with the webhook's secret. */
export function webhookSignature(secret: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

export type OutgoingDelivery = { id: string; event: WebhookEvent; url: string; secret: string; body: string };

/**
 * How one try went. `retry: false` for answers another try cannot change (a forbidden address,
 * a redirect): the delivery fails at once and waits for a fixed URL and *Redeliver*.
 */
export type AttemptResult =
  | { ok: true; responseStatus: number }
  | { ok: false; responseStatus: number | null; error: string; retry: boolean };

const SNIPPET_BYTES = 300;

/** The start of an answer's body, for the error line; whatever else it sends is not read. */
async function snippetOf(body: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= SNIPPET_BYTES) break;
    }
  } catch {
    // A body cut off (or the timeout) leaves what arrived.
  }
  const text = Buffer.concat(chunks).subarray(0, SNIPPET_BYTES).toString("utf8").replace(/\s+/g, " ").trim();
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function failure(error: unknown, url: URL, timedOut: boolean, timeoutMs: number): AttemptResult {
  if (timedOut) {
    return {
      ok: false,
      responseStatus: null,
      retry: true,
      error: `${url.host} did not answer within ${timeoutMs / 1000} s. A receiver should answer 2xx at once and do its work afterwards.`,
    };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (error instanceof BlockedAddressError || code === "EBLOCKEDADDRESS") {
    return { ok: false, responseStatus: null, retry: false, error: `Not sent. ${(error as Error).message}` };
  }
  if (code === "ECONNREFUSED") {
    return { ok: false, responseStatus: null, retry: true, error: `${url.host} refused the connection. Check that the receiver is running and listens on that address.` };
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return { ok: false, responseStatus: null, retry: true, error: `The host ${url.hostname} does not resolve. Check the webhook's URL.` };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, responseStatus: null, retry: true, error: `Could not deliver to ${url.host}: ${message}` };
}

/**
 * POSTs one delivery's body, signed, through the guarded agents: the address actually dialled
 * must be allowed (so a name that now resolves to a private address is refused), redirects are
 * not followed, and the whole try — connect, headers, the start of the body — ends after
 * `timeoutMs`, so a receiver that never answers cannot hold a worker.
 */
export async function sendDelivery(delivery: OutgoingDelivery, { timeoutMs }: { timeoutMs: number }): Promise<AttemptResult> {
  const url = new URL(delivery.url);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await guardedRequest(url, {
      method: "POST",
      redirect: "manual",
      signal: controller.signal,
      body: Buffer.from(delivery.body, "utf8"),
      headers: {
        "content-type": "application/json",
        "user-agent": "Cairn-Webhooks/1",
        "x-cairn-event": delivery.event,
        "x-cairn-delivery": delivery.id,
        "x-cairn-signature": webhookSignature(delivery.secret, delivery.body),
        // One connection per try: receivers are many and far between, so idle sockets to them would only pile up.
        connection: "close",
      },
    }).catch((error: unknown) => error as Error);
    if (response instanceof Error) return failure(response, url, controller.signal.aborted, timeoutMs);
    try {
      const status = response.status;
      if (status >= 200 && status < 300) return { ok: true, responseStatus: status };
      if (status >= 300 && status < 400) {
        const location = String(response.headers.location ?? "").slice(0, 200);
        return {
          ok: false,
          responseStatus: status,
          retry: false,
          error: `The receiver answered ${status}${location ? ` with a redirect to ${location}` : ""}; deliveries do not follow redirects. Set the webhook's URL to the final address.`,
        };
      }
      const snippet = await snippetOf(response.body);
      return { ok: false, responseStatus: status, retry: true, error: `The receiver answered ${status}${snippet ? `: ${snippet}` : "."}` };
    } finally {
      response.body.destroy();
    }
  } finally {
    clearTimeout(timer);
  }
}
