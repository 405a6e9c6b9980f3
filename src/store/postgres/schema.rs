//! Embedded, ordered migrations for PostgreSQL. `tidings_schema` records how
//! many ran. All pending ones run in one transaction under an advisory lock,
//! so daemons starting at once against a new database migrate it once (the
//! others wait, then find it done). Append only: never edit a shipped one.
//!
//! Migration 1 is SQLite's schema as of its migration 10 (same tables, columns
//! and indexes; times in unix seconds, lists as JSON text) plus each feed's
//! lease: who polls it now (`lease_owner`), until when in the database's
//! clock (`lease_until`) and the claim's fencing token (`lease_epoch`, bumped
//! by every claim; a poll's writes are applied only while it is unchanged).
//! Migration 2 is SQLite's 11 (stories).

use tokio_postgres::Client;

use crate::store::StoreError;

/// Migration `i` brings the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: feeds, items, memberships, tombstones, outputs' feeds; leases.
    r#"
    CREATE TABLE feeds (
        id                   BIGSERIAL PRIMARY KEY,
        url                  TEXT NOT NULL UNIQUE,
        name                 TEXT NOT NULL,
        title                TEXT,
        site_link            TEXT,
        etag                 TEXT,
        last_modified        TEXT,
        last_poll            BIGINT,
        last_status          INTEGER,
        last_error           TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        last_new_item        BIGINT,
        created              BIGINT NOT NULL,
        current_url          TEXT,
        not_before           BIGINT,
        gone                 BOOLEAN NOT NULL DEFAULT false,
        lease_epoch          BIGINT NOT NULL DEFAULT 0,
        lease_owner          TEXT,
        lease_until          TIMESTAMPTZ
    );
    CREATE TABLE items (
        id             BIGSERIAL PRIMARY KEY,
        feed_id        BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        key            TEXT NOT NULL,
        uid            TEXT NOT NULL UNIQUE,
        guid           TEXT,
        link           TEXT,
        title          TEXT NOT NULL,
        summary        TEXT,
        content        TEXT,
        author         TEXT,
        categories     TEXT NOT NULL DEFAULT '[]',
        published      BIGINT,
        updated        BIGINT,
        first_seen     BIGINT NOT NULL,
        modified       BIGINT NOT NULL,
        sort_time      BIGINT NOT NULL,
        content_hash   TEXT NOT NULL,
        canonical_link TEXT,
        enclosures     TEXT NOT NULL DEFAULT '[]',
        article_html   TEXT,
        article_text   TEXT,
        extraction     TEXT NOT NULL DEFAULT 'off',
        extracted_link TEXT,
        summary_text   TEXT,
        content_text   TEXT,
        authors        TEXT NOT NULL DEFAULT '[]',
        UNIQUE (feed_id, key)
    );
    CREATE INDEX items_by_feed_time ON items (feed_id, sort_time DESC, id DESC);
    CREATE INDEX items_by_time ON items (sort_time DESC, id DESC);
    CREATE INDEX items_pending_extraction ON items (feed_id) WHERE extraction = 'pending';
    CREATE TABLE memberships (
        output  TEXT NOT NULL,
        item_id BIGINT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        PRIMARY KEY (output, item_id)
    );
    CREATE INDEX memberships_by_item ON memberships (item_id);
    CREATE TABLE output_state (
        output      TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        evaluated   BIGINT NOT NULL
    );
    CREATE TABLE tombstones (
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        key     TEXT NOT NULL,
        pruned  BIGINT NOT NULL,
        PRIMARY KEY (feed_id, key)
    );
    CREATE INDEX tombstones_by_time ON tombstones (pruned);
    CREATE TABLE output_feeds (
        output  TEXT NOT NULL,
        feed_id BIGINT NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
        PRIMARY KEY (output, feed_id)
    );
    -- Bodies over ~2 KB are compressed; pglz (the default) cost about a fifth
    -- of the server's CPU in a cold poll, lz4 a fraction of that. A server
    -- built without lz4 keeps pglz.
    DO $$
    BEGIN
        EXECUTE 'ALTER TABLE items
            ALTER COLUMN summary SET COMPRESSION lz4, ALTER COLUMN summary_text SET COMPRESSION lz4,
            ALTER COLUMN content SET COMPRESSION lz4, ALTER COLUMN content_text SET COMPRESSION lz4,
            ALTER COLUMN article_html SET COMPRESSION lz4, ALTER COLUMN article_text SET COMPRESSION lz4';
    EXCEPTION WHEN feature_not_supported OR syntax_error THEN
        NULL;
    END
    $$;
    "#,
    // 2: stories, as SQLite's migration 11. `story` is the row id of the
    // story's first item (NULL for that item itself), `dedup_time` the time
    // that places the item in the window (NULL: stored before stories were
    // kept), `dedup_reason` why it joined. Signatures and lookup keys are kept
    // while the window can still compare a new item with them.
    r#"
    ALTER TABLE items ADD COLUMN story BIGINT, ADD COLUMN dedup_time BIGINT,
        ADD COLUMN dedup_reason TEXT;
    CREATE INDEX items_by_story ON items (story) WHERE story IS NOT NULL;
    CREATE TABLE dedup_signatures (
        item_id   BIGINT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        time      BIGINT NOT NULL,
        signature BYTEA NOT NULL
    );
    CREATE INDEX dedup_signatures_by_time ON dedup_signatures (time);
    CREATE TABLE dedup_keys (
        key     BIGINT NOT NULL,
        time    BIGINT NOT NULL,
        item_id BIGINT NOT NULL,
        PRIMARY KEY (key, time, item_id)
    );
    "#,
    // 3: prints expire by the day they are dated, as SQLite's migration 13: an
    // index on their times took each write's inserts to pages all over it.
    r#"
    DROP INDEX dedup_signatures_by_time;
    CREATE INDEX dedup_signatures_by_day ON dedup_signatures ((time / 86400));
    "#,
];

/// The schema version this build writes.
pub const VERSION: usize = MIGRATIONS.len();

/// Key of the advisory lock migrations run under ("tidings" in ASCII).
const MIGRATION_LOCK: i64 = 0x0074_6964_696e_6773;

/// Runs the migrations the database has not seen yet.
pub async fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    let exists: bool = tx
        .query_one("SELECT to_regclass('tidings_schema') IS NOT NULL", &[])
        .await?
        .get(0);
    if !exists {
        tx.batch_execute("CREATE TABLE tidings_schema (version INTEGER NOT NULL)")
            .await?;
    }
    let current: i32 = tx
        .query_opt("SELECT max(version) FROM tidings_schema", &[])
        .await?
        .and_then(|r| r.get::<_, Option<i32>>(0))
        .unwrap_or(0);
    let current = current.max(0) as usize;
    if current > VERSION {
        return Err(StoreError::TooNew {
            found: current,
            supported: VERSION,
        });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        tx.batch_execute(sql)
            .await
            .map_err(|source| StoreError::PgMigration {
                version: i + 1,
                source,
            })?;
    }
    if current < VERSION {
        tx.execute("DELETE FROM tidings_schema", &[]).await?;
        tx.execute(
            "INSERT INTO tidings_schema (version) VALUES ($1)",
            &[&(VERSION as i32)],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}
