//! Embedded, ordered migrations. `PRAGMA user_version` records how many ran; each
//! runs in its own transaction, so a crash mid-migration leaves the previous schema.
//! Append only: never edit a migration that has shipped.

use rusqlite::Connection;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: feeds, items.
    r#"
    CREATE TABLE feeds (
        id                   INTEGER PRIMARY KEY,
        url                  TEXT NOT NULL UNIQUE,   -- as configured: the feed's identity
        name                 TEXT NOT NULL,          -- display name from the config
        title                TEXT,                   -- as the document states it
        site_link            TEXT,
        etag                 TEXT,
        last_modified        TEXT,
        last_poll            INTEGER,                -- unix seconds
        last_status          INTEGER,
        last_error           TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_new_item        INTEGER,
        created              INTEGER NOT NULL
    );
    CREATE TABLE items (
        id           INTEGER PRIMARY KEY,
        feed_id      INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        key          TEXT NOT NULL,                  -- normalize::item_key
        uid          TEXT NOT NULL UNIQUE,           -- public id, normalize::public_id
        guid         TEXT,
        link         TEXT,
        title        TEXT NOT NULL,
        summary      TEXT,
        content      TEXT,
        author       TEXT,
        categories   TEXT NOT NULL DEFAULT '[]',     -- JSON array of strings
        published    INTEGER,
        updated      INTEGER,
        first_seen   INTEGER NOT NULL,
        modified     INTEGER NOT NULL,
        sort_time    INTEGER NOT NULL,               -- the date shown; see Store::sort_time
        content_hash TEXT NOT NULL,
        UNIQUE (feed_id, key)
    );
    CREATE INDEX items_by_feed_time ON items (feed_id, sort_time DESC, id DESC);
    "#,
    // 2: cross-feed duplicates and enclosures.
    r#"
    ALTER TABLE items ADD COLUMN canonical_link TEXT;              -- normalize::canonical_url
    ALTER TABLE items ADD COLUMN enclosures TEXT NOT NULL DEFAULT '[]';  -- JSON [{url, mime_type, length}]
    "#,
    // 3: filter results, stored at ingest and re-evaluated when an output's rules change.
    r#"
    CREATE TABLE memberships (
        output  TEXT NOT NULL,
        item_id INTEGER NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        PRIMARY KEY (output, item_id)
    ) WITHOUT ROWID;
    CREATE INDEX memberships_by_item ON memberships (item_id);
    CREATE TABLE output_state (
        output      TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,   -- hash of the rules, term lists and feeds evaluated with
        evaluated   INTEGER NOT NULL
    );
    "#,
    // 4: full text. extraction NULL = pending; otherwise what happened (ok, kept
    // the feed's content and why, failed and why, off).
    r#"
    ALTER TABLE items ADD COLUMN article_html TEXT;
    ALTER TABLE items ADD COLUMN article_text TEXT;
    ALTER TABLE items ADD COLUMN extraction TEXT NOT NULL DEFAULT 'off';
    ALTER TABLE items ADD COLUMN extracted_link TEXT;
    CREATE INDEX items_pending_extraction ON items (feed_id) WHERE extraction = 'pending';
    "#,
    // 5: politeness and resilience.
    r#"
    ALTER TABLE feeds ADD COLUMN current_url TEXT;        -- after a permanent redirect
    ALTER TABLE feeds ADD COLUMN not_before INTEGER;      -- Retry-After, cache headers, <ttl>
    ALTER TABLE feeds ADD COLUMN gone INTEGER NOT NULL DEFAULT 0;  -- 410 seen
    "#,
    // 6: retention leaves tombstones so pruned items are not imported again.
    r#"
    CREATE TABLE tombstones (
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        key     TEXT NOT NULL,
        pruned  INTEGER NOT NULL,
        PRIMARY KEY (feed_id, key)
    ) WITHOUT ROWID;
    "#,
    // 7: outputs read the newest items across many feeds: walking this index in
    // order stops after `limit` rows instead of sorting every matching item
    // (1M items: 1.4 ms instead of 6 ms unfiltered, 1.8 ms instead of 370 ms for
    // a filtered output holding half of them).
    r#"
    CREATE INDEX items_by_time ON items (sort_time DESC, id DESC);
    "#,
    // 8: which feeds each output draws on, written when the config loads, so an
    // output's query binds one name instead of thousands of feed URLs.
    r#"
    CREATE TABLE output_feeds (
        output  TEXT NOT NULL,
        feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        PRIMARY KEY (output, feed_id)
    ) WITHOUT ROWID;
    "#,
    // 9: every prune drops tombstones older than a year; without an index that
    // scanned the whole table once per poll of every feed with retention.
    r#"
    CREATE INDEX tombstones_by_time ON tombstones (pruned);
    "#,
    // 10: one home for text and HTML. From now on `summary` and `content` hold
    // sanitised HTML (text::prepare, at ingest) and these their plain text, so
    // filters, dedup and renders read them instead of converting again. Rows
    // stored before hold the HTML as published and NULL here: they are prepared
    // when read and backfilled in the background (Store::backfill_text).
    r#"
    ALTER TABLE items ADD COLUMN summary_text TEXT;
    ALTER TABLE items ADD COLUMN content_text TEXT;
    ALTER TABLE items ADD COLUMN authors TEXT NOT NULL DEFAULT '[]';  -- JSON [{name, email, uri}]
    -- Only web links are served now; those stored before (javascript:, data:…) go.
    UPDATE items SET link = NULL
     WHERE link IS NOT NULL AND lower(link) NOT LIKE 'http://%' AND lower(link) NOT LIKE 'https://%';
    "#,
    // 11: stories (copies of one story from several feeds). `story` is the row
    // id of the story's first item, NULL for that first item itself;
    // `dedup_time` the time that places it in the window (NULL: stored before
    // stories were kept); `dedup_reason` why it joined. Signatures and lookup keys are kept while the window can
    // still compare a new item with them (store::stories).
    r#"
    ALTER TABLE items ADD COLUMN story INTEGER;
    ALTER TABLE items ADD COLUMN dedup_time INTEGER;
    ALTER TABLE items ADD COLUMN dedup_reason TEXT;
    CREATE INDEX items_by_story ON items (story) WHERE story IS NOT NULL;
    CREATE TABLE dedup_signatures (
        item_id   INTEGER PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        time      INTEGER NOT NULL,
        signature BLOB NOT NULL
    );
    CREATE INDEX dedup_signatures_by_time ON dedup_signatures (time);
    CREATE TABLE dedup_keys (
        key     INTEGER NOT NULL,
        time    INTEGER NOT NULL,
        item_id INTEGER NOT NULL,
        PRIMARY KEY (key, time, item_id)
    ) WITHOUT ROWID;
    "#,
    // 12: story lookup keys live in memory (store::sqlite::stories::KeyIndex,
    // recomputed from the signatures): random keys made every commit rewrite
    // pages all over this index.
    r#"
    DROP TABLE dedup_keys;
    "#,
    // 13: prints expire by the day they are dated, not to the second. An index
    // on their times took each batch's inserts to pages all over it (a print's
    // time is its item's date, anywhere in the window): 88% of the extra page
    // writes a cold poll with stories made. By day, a batch appends to the
    // ends of a few days' runs.
    r#"
    DROP INDEX dedup_signatures_by_time;
    CREATE INDEX dedup_signatures_by_day ON dedup_signatures (time / 86400);
    "#,
];

/// The schema version this build writes.
pub const VERSION: usize = MIGRATIONS.len();

/// Runs the migrations the database has not seen yet.
pub fn migrate(conn: &mut Connection) -> Result<(), crate::store::StoreError> {
    let current: usize = conn
        .query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))
        .map_err(crate::store::StoreError::from)? as usize;
    if current > VERSION {
        return Err(crate::store::StoreError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)
            .map_err(|source| crate::store::StoreError::Migration {
                version: i + 1,
                source,
            })?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}
