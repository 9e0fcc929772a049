CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "job_captures" ADD COLUMN "key" text;--> statement-breakpoint
ALTER TABLE "job_captures" ADD COLUMN "attempts" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "job_logs" ADD COLUMN "seq" integer;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "runner" text DEFAULT 'local' NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "runner_job_id" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "status_message" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "resources" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "partition" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "image" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "submitted_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "agent_token_hash" text;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "agent_token_expires_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "jobs" ADD COLUMN "capture_retry_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "job_captures_job_key_idx" ON "job_captures" USING btree ("job_id","key");--> statement-breakpoint
CREATE UNIQUE INDEX "job_logs_job_seq_idx" ON "job_logs" USING btree ("job_id","seq");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_agent_token_idx" ON "jobs" USING btree ("agent_token_hash");--> statement-breakpoint
UPDATE "job_captures" SET "status" = 'uploading' WHERE "status" = 'capturing';
