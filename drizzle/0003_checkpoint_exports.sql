CREATE TABLE "checkpoint_exports" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"org_id" uuid NOT NULL,
	"checkpoint_id" uuid NOT NULL,
	"connection" text NOT NULL,
	"connection_id" uuid NOT NULL,
	"provider" text NOT NULL,
	"destination_path" text NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"message" text,
	"bytes_done" bigint DEFAULT 0 NOT NULL,
	"bytes_total" bigint DEFAULT 0 NOT NULL,
	"files_done" integer DEFAULT 0 NOT NULL,
	"files_total" integer DEFAULT 0 NOT NULL,
	"creator_user_id" uuid,
	"lease_token" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
ALTER TABLE "checkpoint_exports" ADD CONSTRAINT "checkpoint_exports_org_id_orgs_id_fk" FOREIGN KEY ("org_id") REFERENCES "public"."orgs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkpoint_exports" ADD CONSTRAINT "checkpoint_exports_checkpoint_id_checkpoints_id_fk" FOREIGN KEY ("checkpoint_id") REFERENCES "public"."checkpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "checkpoint_exports" ADD CONSTRAINT "checkpoint_exports_creator_user_id_users_id_fk" FOREIGN KEY ("creator_user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "checkpoint_exports_checkpoint_idx" ON "checkpoint_exports" USING btree ("checkpoint_id","created_at");--> statement-breakpoint
CREATE INDEX "checkpoint_exports_status_idx" ON "checkpoint_exports" USING btree ("status","updated_at");