ALTER TABLE "rooms" ADD COLUMN "rev" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "rev" bigint;--> statement-breakpoint
-- Existing messages: one revision each, in seq order; the room's revision is its last message's.
UPDATE "messages" SET "rev" = "seq";--> statement-breakpoint
UPDATE "rooms" SET "rev" = "last_seq";--> statement-breakpoint
ALTER TABLE "messages" ALTER COLUMN "rev" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "client_hash" text;--> statement-breakpoint
UPDATE "messages" SET "client_hash" = md5("content") WHERE "client_id" IS NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "messages_room_rev_uq" ON "messages" USING btree ("room_id","rev");
