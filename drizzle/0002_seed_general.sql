-- The public room every new user joins. Idempotent, so re-running against a seeded database is harmless.
INSERT INTO "rooms" ("slug", "name", "type", "description")
VALUES ('general', 'General', 'public', 'Everyone is here. Say hello!')
ON CONFLICT ("slug") DO NOTHING;
