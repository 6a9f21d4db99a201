-- dossier schema, version 2: what polite, resilient fetching needs to remember per feed.

-- Set when the server answered 410 Gone: the feed is no longer fetched until its URL
-- changes in the config or it is named with `run --feed`. `feeds` shows the note.
ALTER TABLE feeds ADD COLUMN disabled_reason TEXT;
-- Where the last fetch ended after redirects.
ALTER TABLE feeds ADD COLUMN final_url TEXT;
-- SHA-256 of the last body parsed: an identical body is not parsed again.
ALTER TABLE feeds ADD COLUMN body_hash TEXT;
-- The last fetch sent without validators (at least daily, for servers whose validators
-- never change).
ALTER TABLE feeds ADD COLUMN last_full_fetch_at TEXT;
-- What the last parse had to repair (control characters, a cut-off document, ...).
ALTER TABLE feeds ADD COLUMN warning TEXT;

-- Feeds a run left for later: deferred by the server (429/503 Retry-After) or not
-- reached before the run's deadline.
ALTER TABLE runs ADD COLUMN deferred INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN not_fetched INTEGER NOT NULL DEFAULT 0;
