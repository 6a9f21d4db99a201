-- dossier schema, version 7: what a run must know before it starts, kept so that runs
-- cost what they do, not what the feed list weighs.

-- Small facts about the store itself. `config_fingerprint`: a hash of the feeds and
-- topics the last sync wrote; a run whose config hashes the same skips the sync, so a
-- run with nothing due writes nothing per feed.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- A server's `Retry-After` (a 429, or a 503 with the header), kept past the run that
-- heard it: the host (`host:port`) is not asked again before `until` (capped at a day
-- after `set_at`), by any later run, `run --all` included. `status` is the status that
-- set the hold; `feed_key` the feed whose request heard it.
CREATE TABLE host_holds (
    host     TEXT PRIMARY KEY,
    until    TEXT NOT NULL,
    status   INTEGER NOT NULL,
    set_at   TEXT NOT NULL,
    feed_key TEXT
) WITHOUT ROWID;
