import { EXIT_FILE } from "./env";
import { LOG_FILES } from "./log-shipper";

/** In container mode the agent says the inputs are in place, and later that its work is done. */
export const CONTAINER_MARKERS = { inputsReady: "inputs-ready", agentDone: "agent-done" } as const;

/**
 * The main container's command when the agent runs beside it (Kubernetes): wait for the agent's
 * inputs, run the user's argv (`"$@"`, never parsed by a shell) with its output in the shared
 * state directory, record the status, then stay until the agent's final capture is done — the pod
 * must not end while outputs are still being stored. TERM/INT are forwarded to the command (this
 * shell is PID 1, which has no default signal handling). `$1` is the state directory.
 */
export const CONTAINER_WRAPPER = `S="$1"; shift
while [ ! -f "$S/${CONTAINER_MARKERS.inputsReady}" ]; do sleep 1; done
trap 'kill -TERM "$c" 2>/dev/null' TERM
trap 'kill -INT "$c" 2>/dev/null' INT
"$@" >>"$S/${LOG_FILES.stdout}" 2>>"$S/${LOG_FILES.stderr}" & c=$!
wait "$c"; s=$?
while kill -0 "$c" 2>/dev/null; do wait "$c"; s=$?; done
echo "$s" > "$S/${EXIT_FILE}.tmp" && mv "$S/${EXIT_FILE}.tmp" "$S/${EXIT_FILE}"
while [ ! -f "$S/${CONTAINER_MARKERS.agentDone}" ]; do sleep 1; done
exit "$s"`;
