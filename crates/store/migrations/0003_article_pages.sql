-- dossier schema, version 3: what items learn from their own pages.

-- What dated the item, in words ("meta article:published_time", "date in the URL path").
ALTER TABLE items ADD COLUMN date_evidence TEXT;
-- When the item's page was read: a page is fetched once, never on every run.
ALTER TABLE items ADD COLUMN page_checked_at TEXT;
CREATE INDEX items_page_unchecked ON items(id) WHERE page_checked_at IS NULL;
