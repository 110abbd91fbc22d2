CREATE TABLE "user_blocks" (
	"blocker_id" uuid NOT NULL,
	"blocked_id" uuid NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "user_blocks_blocker_id_blocked_id_pk" PRIMARY KEY("blocker_id","blocked_id")
);
--> statement-breakpoint
CREATE TABLE "message_mentions" (
	"message_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"room_id" uuid NOT NULL,
	"seq" bigint NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "message_mentions_message_id_user_id_pk" PRIMARY KEY("message_id","user_id")
);
--> statement-breakpoint
ALTER TABLE "room_members" ADD COLUMN "notify_level" text;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "mentions" uuid[] DEFAULT '{}'::uuid[] NOT NULL;--> statement-breakpoint
ALTER TABLE "messages" ADD COLUMN "mentions_all" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "user_blocks" ADD CONSTRAINT "user_blocks_blocker_id_users_id_fk" FOREIGN KEY ("blocker_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "user_blocks" ADD CONSTRAINT "user_blocks_blocked_id_users_id_fk" FOREIGN KEY ("blocked_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_mentions" ADD CONSTRAINT "message_mentions_message_id_messages_id_fk" FOREIGN KEY ("message_id") REFERENCES "public"."messages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_mentions" ADD CONSTRAINT "message_mentions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "message_mentions" ADD CONSTRAINT "message_mentions_room_id_rooms_id_fk" FOREIGN KEY ("room_id") REFERENCES "public"."rooms"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "user_blocks_blocked_idx" ON "user_blocks" USING btree ("blocked_id","blocker_id");--> statement-breakpoint
CREATE INDEX "message_mentions_user_room_seq_idx" ON "message_mentions" USING btree ("user_id","room_id","seq");--> statement-breakpoint
CREATE INDEX "message_mentions_user_created_idx" ON "message_mentions" USING btree ("user_id","created_at","message_id");--> statement-breakpoint
CREATE INDEX "messages_room_mentions_all_idx" ON "messages" USING btree ("room_id","seq") WHERE "messages"."mentions_all";--> statement-breakpoint
-- Messages sent before mentions existed: a message of a direct room mentions its other members, a reply
-- the sender of the message it answers (as SPEC counts them); `@name` in their text is not parsed back.
INSERT INTO "message_mentions" ("message_id", "user_id", "room_id", "seq", "created_at")
SELECT m."id", rm."user_id", m."room_id", m."seq", m."created_at"
FROM "messages" m
JOIN "rooms" r ON r."id" = m."room_id" AND r."type" = 'direct'
JOIN "room_members" rm ON rm."room_id" = m."room_id" AND rm."user_id" IS DISTINCT FROM m."sender_id"
WHERE m."deleted_at" IS NULL
UNION
SELECT m."id", p."sender_id", m."room_id", m."seq", m."created_at"
FROM "messages" m
JOIN "messages" p ON p."id" = m."reply_to_id"
WHERE m."deleted_at" IS NULL AND p."sender_id" IS NOT NULL AND p."sender_id" IS DISTINCT FROM m."sender_id"
ON CONFLICT DO NOTHING;
