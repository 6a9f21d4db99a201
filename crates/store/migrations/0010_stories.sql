-- dossier schema, version 10: a version's stories, its sources grouped by the event they
-- report. The grouping is made when the version is cut, in the transaction that cuts it,
-- and frozen with it like the rest of the version: a later edit of an item, or a better
-- grouping method in a later dossier, never changes the stories a writer cited.
--
-- Versions cut before this schema have no rows here (the grouping is Rust code, so no
-- migration can make them); `version stories` groups their frozen sources when asked,
-- without storing what it found, since reads never write.

-- The stories of a version, numbered from 1 in the order they are listed: by
-- `published_at` (the earliest date of their sources; null when none is dated, listed
-- last), then by their lowest source number. `title` is the most representative source's
-- title, as frozen in `version_sources`.
CREATE TABLE version_stories (
    version_id   INTEGER NOT NULL REFERENCES versions(id),
    story        INTEGER NOT NULL,
    title        TEXT NOT NULL,
    published_at TEXT,
    PRIMARY KEY (version_id, story)
) WITHOUT ROWID;

-- Which story each source of a version is in: one row per source (the key), so a source
-- is in one story only; the cut writes a row for every source, so none is in no story.
CREATE TABLE version_story_sources (
    version_id INTEGER NOT NULL,
    n          INTEGER NOT NULL,
    story      INTEGER NOT NULL,
    PRIMARY KEY (version_id, n),
    FOREIGN KEY (version_id, n) REFERENCES version_sources(version_id, n),
    FOREIGN KEY (version_id, story) REFERENCES version_stories(version_id, story)
) WITHOUT ROWID;

CREATE TRIGGER version_stories_are_immutable BEFORE UPDATE ON version_stories
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
CREATE TRIGGER version_stories_are_kept BEFORE DELETE ON version_stories
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
CREATE TRIGGER version_story_sources_are_immutable BEFORE UPDATE ON version_story_sources
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
CREATE TRIGGER version_story_sources_are_kept BEFORE DELETE ON version_story_sources
BEGIN SELECT RAISE(ABORT, 'dossier versions are immutable'); END;
