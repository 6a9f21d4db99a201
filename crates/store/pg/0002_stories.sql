-- dossier schema for PostgreSQL, version 2: a version's stories, as in the SQLite store's
-- schema version 10 (see its migration 0010_stories.sql): made when the version is cut,
-- in the cut's transaction, and frozen with it.
CREATE TABLE version_stories (
    version_id   bigint NOT NULL REFERENCES versions(id),
    story        bigint NOT NULL,
    title        text NOT NULL,
    published_at text COLLATE "C",
    PRIMARY KEY (version_id, story)
);

CREATE TABLE version_story_sources (
    version_id bigint NOT NULL,
    n          bigint NOT NULL,
    story      bigint NOT NULL,
    PRIMARY KEY (version_id, n),
    FOREIGN KEY (version_id, n) REFERENCES version_sources(version_id, n),
    FOREIGN KEY (version_id, story) REFERENCES version_stories(version_id, story)
);

CREATE TRIGGER version_stories_are_immutable BEFORE UPDATE OR DELETE ON version_stories
    FOR EACH ROW EXECUTE FUNCTION dossier_versions_are_immutable();
CREATE TRIGGER version_story_sources_are_immutable BEFORE UPDATE OR DELETE ON version_story_sources
    FOR EACH ROW EXECUTE FUNCTION dossier_versions_are_immutable();
