-- dossier schema, version 6: why an item's article page is worth reading is decided
-- when the item is normalized and kept here, instead of being worked out again in SQL
-- from the shape of its URL; and an item whose page reveals it as a story the store
-- already has can be folded into that story.

-- amp | redirect | undated | url_date, or NULL when the feed told enough. The pages of
-- items with a reason and no page_checked_at are read (newest first, a bounded number a
-- run). The link reasons (amp, redirect) come first: they can change which story it is.
ALTER TABLE items ADD COLUMN page_reason TEXT;

-- Items stored before version 6 get the reason the old query gave them. Their AMP links
-- are looked for in original_url, since url held a guess of the article's address then
-- (`/amp/story.html` stored as `/story.html`); the page, read at the feed's link, now
-- says where the article is.
UPDATE items SET page_reason = CASE
    WHEN original_url LIKE '%/amp/%' OR original_url LIKE '%/amp' OR original_url LIKE '%?amp=%'
      OR original_url LIKE '%&amp=%' OR original_url LIKE '%?amp' OR original_url LIKE '%&amp'
      OR original_url LIKE '%outputType=amp%' OR original_url LIKE '%://amp.%'
      OR original_url LIKE '%.ampproject.org/%' THEN 'amp'
    WHEN url LIKE '%://feedproxy.google.com/%' OR url LIKE '%://feeds.feedburner.com/~r/%' THEN 'redirect'
    WHEN date_source = 'first_seen' THEN 'undated'
    WHEN date_source = 'url' THEN 'url_date'
  END
WHERE page_checked_at IS NULL;

-- The pages still to read: a few items, not every unchecked one (most never need it).
DROP INDEX items_page_unchecked;
CREATE INDEX items_page_due ON items(id) WHERE page_checked_at IS NULL AND page_reason IS NOT NULL;

-- An item folded into the story it repeats (Store::apply_page) leaves the full-text index
-- with it. Only indexed items have a docsize row (see 0005).
CREATE TRIGGER items_fts_delete AFTER DELETE ON items
WHEN EXISTS (SELECT 1 FROM items_fts_docsize WHERE id = old.id) BEGIN
    INSERT INTO items_fts(items_fts, rowid, title, summary) VALUES ('delete', old.id, old.title, old.summary);
END;
