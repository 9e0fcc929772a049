export async function register() {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    // Keep-alive, request timeouts and upload paths of the server `next start` created (lib/net/http-server.ts).
    const { hardenHttpServersOfThisProcess } = await import("./lib/net/http-server");
    hardenHttpServersOfThisProcess();
    const { startBackgroundWork } = await import("./lib/maintenance");
    startBackgroundWork();
  }
}
