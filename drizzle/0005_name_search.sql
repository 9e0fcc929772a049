-- Name search (`?q=`) is a substring match, ILIKE '%q%': a B-tree cannot serve it, so with
-- 100,000 checkpoints every search read the whole table. A trigram index can. pg_trgm ships with
-- Postgres (contrib) and is a trusted extension: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "checkpoints_name_trgm_idx" ON "checkpoints" USING gin ("name" gin_trgm_ops);
