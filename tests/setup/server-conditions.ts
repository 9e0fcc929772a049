// Node processes the tests start that run server modules themselves (a Cairn server or a job
// supervisor through tsx, in tests/fixtures) need the `react-server` condition for `server-only`
// to resolve to its empty module, as under Next.js and `npm run worker`. Set here, in each test
// worker, so every such child inherits it without each spawn having to remember the flag.
const CONDITION = "--conditions=react-server";
if (!(process.env.NODE_OPTIONS ?? "").includes(CONDITION)) {
  process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, CONDITION].filter(Boolean).join(" ");
}
