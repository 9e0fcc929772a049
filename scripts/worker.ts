// `npm run worker`: ingest workers without the web server, for scale-out on Postgres.
import { getDatabase } from "@/lib/db/client";
import { startExportWorkers } from "@/lib/export/worker";
import { startIngestWorkers } from "@/lib/ingest/worker";
import { jobSupervisor } from "@/lib/jobs/startup";
import { startFactsWorkers } from "@/lib/model-facts/worker";
import { startRetentionWorkers } from "@/lib/retention/worker";
import { stopBoss } from "@/lib/queue/boss";
import { startWebhookWorkers } from "@/lib/webhooks/worker";

async function main() {
  const database = await getDatabase();
  if (database.kind !== "postgres") {
    console.error("npm run worker needs DATABASE_URL: the embedded PGlite database allows one process, which is the server itself.");
    process.exit(2);
  }
  const concurrency = Number(process.env.CAIRN_WORKER_CONCURRENCY || 4);
  await startIngestWorkers({ concurrency });
  await startExportWorkers({ concurrency: Math.max(1, Math.floor(concurrency / 2)) });
  await startFactsWorkers({ concurrency: Math.max(1, Math.floor(concurrency / 2)) });
  await startRetentionWorkers();
  await startWebhookWorkers({ concurrency: Math.max(2, Math.floor(concurrency / 2)) });
  // Job supervision (heartbeats, engine state) runs in whichever server or worker holds its lease.
  jobSupervisor().start();
  console.log(`cairn worker: ${concurrency} ingest workers and ${Math.max(1, Math.floor(concurrency / 2))} export workers running, and model facts workers`);
  const stop = async () => {
    await jobSupervisor().stop();
    await stopBoss();
    await database.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
