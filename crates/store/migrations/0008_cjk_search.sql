-- dossier schema, version 8: search in scripts written without spaces between words
-- (Chinese, Japanese, Thai, ...). The word index cuts text at spaces, so `智能` found
-- nothing in "人工智能+制造". Items whose text holds such a script are also indexed here
-- by character pairs (`bi`), single characters (`uni`) and their text with those runs
-- set apart (`words`); see crates/store/src/cjk.rs. Contentless: the text is in items.
-- `dossier_cjk(part, title, summary)` is a function dossier registers on its
-- connections; the triggers below need it, so items are edited through dossier only.
CREATE VIRTUAL TABLE items_cjk USING fts5(
    bi, uni, words, content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO items_cjk(items_cjk, rank) VALUES ('automerge', 8);

-- The items indexed so far. New items enter it with the word index, once per write
-- transaction (Store::record_fetches).
INSERT INTO items_cjk(rowid, bi, uni, words)
SELECT id, dossier_cjk('bi', title, summary), dossier_cjk('uni', title, summary),
       dossier_cjk('words', title, summary)
FROM items WHERE dossier_cjk('words', title, summary) IS NOT NULL;

-- An edit re-indexes an item that is indexed already (as items_fts_update does); an item
-- not yet indexed is indexed with its final text at the end of its transaction.
CREATE TRIGGER items_cjk_update AFTER UPDATE OF title, summary ON items
WHEN EXISTS (SELECT 1 FROM items_fts_docsize WHERE id = old.id) BEGIN
    DELETE FROM items_cjk WHERE rowid = old.id;
    INSERT INTO items_cjk(rowid, bi, uni, words)
    SELECT new.id, dossier_cjk('bi', new.title, new.summary), dossier_cjk('uni', new.title, new.summary),
           dossier_cjk('words', new.title, new.summary)
    WHERE dossier_cjk('words', new.title, new.summary) IS NOT NULL;
END;
CREATE TRIGGER items_cjk_delete AFTER DELETE ON items BEGIN
    DELETE FROM items_cjk WHERE rowid = old.id;
END;
