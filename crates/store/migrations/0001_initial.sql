-- dossier schema, version 1. Migrations are append-only: never edit this file once
-- released; add 0002_*.sql instead.

-- Every source the config has named, with its health. A row stays when its feed leaves
-- the config (active = 0) so the items it brought keep their provenance.
CREATE TABLE feeds (
    id                   INTEGER PRIMARY KEY,
    key                  TEXT NOT NULL UNIQUE,   -- feed name, or "reactive:<slug> <url>"
    name                 TEXT NOT NULL,
    label                TEXT NOT NULL,          -- what a rendered source shows after the dash
    url                  TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    topics               TEXT NOT NULL DEFAULT '[]',  -- JSON array of slugs
    active               INTEGER NOT NULL DEFAULT 1,
    etag                 TEXT,                   -- validators for conditional GET
    last_modified        TEXT,
    last_fetch_at        TEXT,
    last_status          TEXT,                   -- HTTP status or outcome (not_modified, timeout, ...)
    error_class          TEXT,
    last_error           TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_due_at          TEXT,
    moved_to             TEXT,                   -- new URL after a permanent redirect
    items                INTEGER NOT NULL DEFAULT 0  -- items this feed has brought in (sightings)
);

-- Topics as configured; a dossier is cut per topic.
CREATE TABLE topics (
    id     INTEGER PRIMARY KEY,
    slug   TEXT NOT NULL UNIQUE,
    title  TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
);

-- One row per story. Never deleted: a published dossier may cite it.
CREATE TABLE items (
    id            INTEGER PRIMARY KEY,
    feed_id       INTEGER NOT NULL REFERENCES feeds(id),  -- the feed that first brought it
    guid          TEXT,
    url           TEXT,                 -- canonical link
    original_url  TEXT,                 -- the link as the first feed gave it
    title         TEXT NOT NULL,
    summary       TEXT,
    author        TEXT,
    published_at  TEXT,
    date_source   TEXT NOT NULL,        -- feed | page | url | first_seen
    first_seen_at TEXT NOT NULL,
    updated_at    TEXT,                 -- when the feed last corrected the item
    sort_at       TEXT NOT NULL,        -- published_at, else first_seen_at: listing order
    identity      TEXT NOT NULL,        -- guid | link | hash: which rule identifies it
    duplicate_of  INTEGER REFERENCES items(id)
);
CREATE INDEX items_by_time ON items(sort_at, id);

-- Every key a story is known by (guid per feed, canonical URL, content hash). Any shared
-- key means the same story, so the same story from two feeds is one item.
CREATE TABLE item_keys (
    key     TEXT PRIMARY KEY,
    item_id INTEGER NOT NULL REFERENCES items(id)
) WITHOUT ROWID;
CREATE INDEX item_keys_by_item ON item_keys(item_id);

-- Every feed that delivered an item: the provenance a writer can check.
CREATE TABLE sightings (
    item_id       INTEGER NOT NULL REFERENCES items(id),
    feed_id       INTEGER NOT NULL REFERENCES feeds(id),
    original_url  TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    PRIMARY KEY (item_id, feed_id)
) WITHOUT ROWID;
CREATE INDEX sightings_by_feed ON sightings(feed_id, item_id);

-- Why an item belongs to a topic: topic_feed, feed_topics, or keyword (detail = keyword).
CREATE TABLE item_topics (
    topic_id    INTEGER NOT NULL REFERENCES topics(id),
    item_id     INTEGER NOT NULL REFERENCES items(id),
    reason      TEXT NOT NULL,
    detail      TEXT,
    via_feed_id INTEGER REFERENCES feeds(id),
    attached_at TEXT NOT NULL,
    PRIMARY KEY (topic_id, item_id)
) WITHOUT ROWID;
CREATE INDEX item_topics_by_item ON item_topics(item_id);

-- One row per `run`, for the operator's history.
CREATE TABLE runs (
    id               INTEGER PRIMARY KEY,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    status           TEXT NOT NULL,     -- running | done | failed
    feeds            INTEGER NOT NULL DEFAULT 0,
    fetched          INTEGER NOT NULL DEFAULT 0,
    not_modified     INTEGER NOT NULL DEFAULT 0,
    failed           INTEGER NOT NULL DEFAULT 0,
    items_new        INTEGER NOT NULL DEFAULT 0,
    items_duplicate  INTEGER NOT NULL DEFAULT 0,
    dated_from_pages INTEGER NOT NULL DEFAULT 0
);

-- A topic's source numbers: an item keeps its [n] in every later version.
CREATE TABLE source_numbers (
    topic_id INTEGER NOT NULL REFERENCES topics(id),
    n        INTEGER NOT NULL,
    item_id  INTEGER NOT NULL REFERENCES items(id),
    PRIMARY KEY (topic_id, n),
    UNIQUE (topic_id, item_id)
) WITHOUT ROWID;

-- Frozen dossier versions. Immutable: the triggers below refuse any change.
CREATE TABLE versions (
    id         INTEGER PRIMARY KEY,
    topic_id   INTEGER NOT NULL REFERENCES topics(id),
    number     INTEGER NOT NULL,
    title      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    item_count INTEGER NOT NULL,
    new_items  INTEGER NOT NULL,
    UNIQUE (topic_id, number)
);

-- What each version says of each source, copied when it was cut.
CREATE TABLE version_sources (
    version_id   INTEGER NOT NULL REFERENCES versions(id),
    n            INTEGER NOT NULL,
    item_id      INTEGER NOT NULL REFERENCES items(id),
    title        TEXT NOT NULL,
    url          TEXT,
    label        TEXT NOT NULL,
    published_at TEXT,
    date_source  TEXT NOT NULL,
    PRIMARY KEY (version_id, n)
) WITHOUT ROWID;

CREATE TRIGGER versions_are_immutable BEFORE UPDATE ON versions
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
CREATE TRIGGER versions_are_kept BEFORE DELETE ON versions
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
CREATE TRIGGER version_sources_are_immutable BEFORE UPDATE ON version_sources
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
CREATE TRIGGER version_sources_are_kept BEFORE DELETE ON version_sources
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;

-- Full-text search over title and summary (`items --search`).
CREATE VIRTUAL TABLE items_fts USING fts5(
    title, summary, content = 'items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER items_fts_insert AFTER INSERT ON items BEGIN
    INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;
CREATE TRIGGER items_fts_update AFTER UPDATE OF title, summary ON items BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
    INSERT INTO items_fts(rowid, title, summary) VALUES (new.id, new.title, new.summary);
END;

-- For writers using SQL directly: items with their provenance in one place.
CREATE VIEW item_sources AS
SELECT i.id, i.guid, i.url, i.original_url, i.title, i.summary, i.author,
       i.published_at, i.date_source, i.first_seen_at, i.duplicate_of,
       f.name AS feed, f.label AS label,
       (SELECT count(*) FROM sightings s WHERE s.item_id = i.id) AS sightings
FROM items i JOIN feeds f ON f.id = i.feed_id;

-- Every source of every version, numbered, as it was frozen.
CREATE VIEW dossier_sources AS
SELECT t.slug AS topic, v.number AS version, v.created_at, vs.n, vs.item_id, vs.title,
       vs.url, vs.label, vs.published_at, vs.date_source
FROM version_sources vs
JOIN versions v ON v.id = vs.version_id
JOIN topics t ON t.id = v.topic_id;
