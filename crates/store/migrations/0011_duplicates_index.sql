-- The items merged into one as its duplicates, found without a scan: a source's page
-- lists them. Few items are duplicates, so the index holds only those.
CREATE INDEX items_by_duplicate ON items(duplicate_of) WHERE duplicate_of IS NOT NULL;
