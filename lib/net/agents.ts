import http from "node:http";
import https from "node:https";
import type net from "node:net";
import type { Duplex } from "node:stream";
import { assertLiteralHostAllowed, guardedLookup } from "./guard";

type ConnectOptions = net.NetConnectOpts & { host?: string };
type Created = (err: Error | null, stream: Duplex) => void;

/** Node's Agent reports a connection error through the callback; a throw would crash the process. */
function refuseLiteral(host: string | undefined, callback?: Created): Duplex | undefined {
  try {
    assertLiteralHostAllowed(host);
    return undefined;
  } catch (error) {
    if (!callback) throw error;
    process.nextTick(() => callback(error as Error, undefined as unknown as Duplex));
    return null as unknown as Duplex;
  }
}

/** An http.Agent whose every socket goes through the address guard (names and IP literals). */
export class GuardedHttpAgent extends http.Agent {
  constructor(options: http.AgentOptions = {}) {
    super({ keepAlive: true, ...options, lookup: guardedLookup } as http.AgentOptions);
  }
  createConnection(options: ConnectOptions, callback?: Created): Duplex {
    const refused = refuseLiteral(options.host, callback);
    // @ts-expect-error createConnection exists on Agent at run time but is not in the typings
    return refused !== undefined ? refused : super.createConnection(options, callback);
  }
}

/** The https counterpart of GuardedHttpAgent. */
export class GuardedHttpsAgent extends https.Agent {
  constructor(options: https.AgentOptions = {}) {
    super({ keepAlive: true, ...options, lookup: guardedLookup } as https.AgentOptions);
  }
  createConnection(options: ConnectOptions, callback?: Created): Duplex {
    const refused = refuseLiteral(options.host, callback);
    // @ts-expect-error createConnection exists on Agent at run time but is not in the typings
    return refused !== undefined ? refused : super.createConnection(options, callback);
  }
}

let shared: { http: GuardedHttpAgent; https: GuardedHttpsAgent } | undefined;

/** Process-wide guarded agents for SDK clients and our own HTTP requests. */
export function guardedAgents() {
  shared ??= { http: new GuardedHttpAgent({ maxSockets: 64 }), https: new GuardedHttpsAgent({ maxSockets: 64 }) };
  return shared;
}
