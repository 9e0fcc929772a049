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

const READ_BUFFER_BYTES = 64 * 1024;

/** An http.Agent whose every socket goes through the address guard (names and IP literals). */
export class GuardedHttpAgent extends http.Agent {
  constructor(options: http.AgentOptions = {}) {
    super({ keepAlive: true, ...options, lookup: guardedLookup } as http.AgentOptions);
  }
  createConnection(options: ConnectOptions, callback?: Created): Duplex {
    const refused = refuseLiteral(options.host, callback);
    if (refused !== undefined) return refused;
    // Each socket reads into one reused buffer instead of a new one per read: the HTTP parser
    // copies what it hands on (body chunks, headers) before the next read, and a fresh buffer per
    // read is a gigabyte of external memory per gigabyte downloaded, which V8 answers with full
    // collections of the whole heap.
    const buffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES);
    const onread = {
      buffer,
      callback: (bytes: number, chunk: Uint8Array) => {
        socket.emit("data", Buffer.from(chunk.buffer, chunk.byteOffset, bytes));
        return true;
      },
    };
    // @ts-expect-error createConnection exists on Agent at run time but is not in the typings
    const socket = super.createConnection({ ...options, onread }, callback) as net.Socket;
    return socket;
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
