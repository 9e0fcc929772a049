// Stands in for the `server-only` package inside Vitest (vitest.config.mts aliases it here). The
// package throws unless resolved under the `react-server` condition, which Next.js applies to its
// server code and a plain Node test process does not.
export {};
