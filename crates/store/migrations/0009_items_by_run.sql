-- dossier schema, version 9: a run's new items are the items that run stored, said in
-- the row, not read off an id range ("ids above the newest one when the run began"),
-- which only holds while one run writes at a time.
ALTER TABLE items ADD COLUMN first_run INTEGER;
CREATE INDEX items_by_run ON items(first_run);
