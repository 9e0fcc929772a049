CREATE TABLE "job_captures" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"job_id" uuid NOT NULL,
	"path" text NOT NULL,
	"name" text NOT NULL,
	"checkpoint_id" uuid,
	"step" integer,
	"status" text NOT NULL,
	"message" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "job_checkpoints" (
	"job_id" uuid NOT NULL,
	"checkpoint_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"mount_name" text NOT NULL,
	"public" boolean DEFAULT false NOT NULL,
	"released_at" timestamp with time zone,
	CONSTRAINT "job_checkpoints_job_id_checkpoint_id_pk" PRIMARY KEY("job_id","checkpoint_id")
);
--> statement-breakpoint
CREATE TABLE "job_logs" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"job_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"stream" text NOT NULL,
	"message" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "jobs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"message" text,
	"command" jsonb NOT NULL,
	"env_ciphertext" text NOT NULL,
	"env_keys" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"capture_outputs" boolean DEFAULT true NOT NULL,
	"exit_code" integer,
	"creator_user_id" uuid,
	"runner_instance" text,
	"pid" integer,
	"heartbeat_at" timestamp with time zone,
	"stop_requested_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "produced_by_job_id" uuid;--> statement-breakpoint
ALTER TABLE "checkpoints" ADD COLUMN "step" integer;--> statement-breakpoint
ALTER TABLE "job_captures" ADD CONSTRAINT "job_captures_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_captures" ADD CONSTRAINT "job_captures_checkpoint_id_checkpoints_id_fk" FOREIGN KEY ("checkpoint_id") REFERENCES "public"."checkpoints"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_checkpoints" ADD CONSTRAINT "job_checkpoints_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_checkpoints" ADD CONSTRAINT "job_checkpoints_checkpoint_id_checkpoints_id_fk" FOREIGN KEY ("checkpoint_id") REFERENCES "public"."checkpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "job_logs" ADD CONSTRAINT "job_logs_job_id_jobs_id_fk" FOREIGN KEY ("job_id") REFERENCES "public"."jobs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "jobs" ADD CONSTRAINT "jobs_creator_user_id_users_id_fk" FOREIGN KEY ("creator_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "job_captures_job_idx" ON "job_captures" USING btree ("job_id","created_at");--> statement-breakpoint
CREATE INDEX "job_captures_checkpoint_idx" ON "job_captures" USING btree ("checkpoint_id");--> statement-breakpoint
CREATE INDEX "job_checkpoints_checkpoint_idx" ON "job_checkpoints" USING btree ("checkpoint_id");--> statement-breakpoint
CREATE INDEX "job_logs_job_idx" ON "job_logs" USING btree ("job_id","id");--> statement-breakpoint
CREATE UNIQUE INDEX "jobs_org_name_idx" ON "jobs" USING btree ("org_id","name");--> statement-breakpoint
CREATE INDEX "jobs_org_created_idx" ON "jobs" USING btree ("org_id","created_at","id");--> statement-breakpoint
CREATE INDEX "jobs_status_idx" ON "jobs" USING btree ("status","created_at");