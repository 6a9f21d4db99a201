-- dossier schema for PostgreSQL, version 3: the rows a run writes for every item (its
-- keys, sightings and topic links, and the item's first feed) no longer carry foreign
-- keys. The writer inserts an item and everything that points at it in one transaction,
-- feeds are never deleted, and an item is deleted only by the transaction that first moves
-- whatever points at it to the item it joins (a key race lost to another writer, two items
-- found to be one story). A foreign key only re-checked that, at the price of an index
-- lookup and a row lock on the referenced item or feed for every row inserted: with them,
-- a first run stored at 0.51-0.58 of SQLite's items/s, without them at 0.65-0.69
-- (BENCHMARKS.md, "PostgreSQL"). The links are checked by the tests that run many writers
-- at once and kill some. Links that cuts and passes write (versions, source numbers,
-- stories, duplicate_of, topics) stay checked.
ALTER TABLE items       DROP CONSTRAINT IF EXISTS items_feed_id_fkey;
ALTER TABLE item_keys   DROP CONSTRAINT IF EXISTS item_keys_item_id_fkey;
ALTER TABLE sightings   DROP CONSTRAINT IF EXISTS sightings_item_id_fkey;
ALTER TABLE sightings   DROP CONSTRAINT IF EXISTS sightings_feed_id_fkey;
ALTER TABLE item_topics DROP CONSTRAINT IF EXISTS item_topics_item_id_fkey;
