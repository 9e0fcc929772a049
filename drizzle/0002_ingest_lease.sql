ALTER TABLE "checkpoints" ADD COLUMN "ingest_token" uuid;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "ingest_attempts" integer DEFAULT 0 NOT NULL;