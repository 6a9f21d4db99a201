-- dossier schema, version 4: topics remember which rules they last matched with, so a
-- change in the config re-matches recent items on the next run.
ALTER TABLE topics ADD COLUMN rules_hash TEXT;
