//! `tidings migrate`: copies an SQLite database into PostgreSQL. Rows keep
//! their ids (memberships and tombstones refer to them) and every insert is an
//! upsert on the id, so running it again copies nothing twice. Stories come
//! along: items' story columns, and the prints still in the window.

use std::path::Path;

use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;

use super::{Postgres, clean};
use crate::store::StoreError;

/// Rows read from SQLite and written to PostgreSQL per transaction.
const CHUNK: usize = 2000;

type Param = Box<dyn ToSql + Sync + Send>;

/// One table's copy: how its rows are read from SQLite and upserted here.
struct Table {
    name: &'static str,
    /// Paged tables: `select` takes the last row's first `paged` (integer)
    /// columns, then the page size, and orders by them.
    paged: usize,
    select: &'static str,
    upsert: &'static str,
    /// Columns holding text (cleaned of NUL characters), by position.
    kinds: &'static [Kind],
}

#[derive(Clone, Copy)]
enum Kind {
    Int,
    Int32,
    Text,
    Bool,
    Bytes,
}

const TABLES: [Table; 8] = [
    Table {
        name: "feeds",
        paged: 0,
        select:
            "SELECT id, url, name, title, site_link, etag, last_modified, last_poll, last_status,
                        last_error, consecutive_failures, last_new_item, created, current_url,
                        not_before, gone FROM feeds ORDER BY id",
        upsert:
            "INSERT INTO feeds (id, url, name, title, site_link, etag, last_modified, last_poll,
                     last_status, last_error, consecutive_failures, last_new_item, created,
                     current_url, not_before, gone)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
                 ON CONFLICT (id) DO UPDATE SET url = excluded.url, name = excluded.name,
                     title = excluded.title, site_link = excluded.site_link, etag = excluded.etag,
                     last_modified = excluded.last_modified, last_poll = excluded.last_poll,
                     last_status = excluded.last_status, last_error = excluded.last_error,
                     consecutive_failures = excluded.consecutive_failures,
                     last_new_item = excluded.last_new_item, created = excluded.created,
                     current_url = excluded.current_url, not_before = excluded.not_before,
                     gone = excluded.gone",
        kinds: &[
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Int32,
            Kind::Text,
            Kind::Int32,
            Kind::Int,
            Kind::Int,
            Kind::Text,
            Kind::Int,
            Kind::Bool,
        ],
    },
    Table {
        name: "items",
        paged: 1,
        select:
            "SELECT id, feed_id, key, uid, guid, link, title, summary, content, author, categories,
                        published, updated, first_seen, modified, sort_time, content_hash,
                        canonical_link, enclosures, article_html, article_text, extraction,
                        extracted_link, summary_text, content_text, authors, story, dedup_time,
                        dedup_reason
                 FROM items WHERE id > ?1 ORDER BY id LIMIT ?2",
        upsert:
            "INSERT INTO items (id, feed_id, key, uid, guid, link, title, summary, content, author,
                     categories, published, updated, first_seen, modified, sort_time, content_hash,
                     canonical_link, enclosures, article_html, article_text, extraction,
                     extracted_link, summary_text, content_text, authors, story, dedup_time,
                     dedup_reason)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                     $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29)
                 ON CONFLICT (id) DO UPDATE SET guid = excluded.guid, link = excluded.link,
                     title = excluded.title, summary = excluded.summary, content = excluded.content,
                     author = excluded.author, categories = excluded.categories,
                     published = excluded.published, updated = excluded.updated,
                     modified = excluded.modified, sort_time = excluded.sort_time,
                     content_hash = excluded.content_hash, canonical_link = excluded.canonical_link,
                     enclosures = excluded.enclosures, article_html = excluded.article_html,
                     article_text = excluded.article_text, extraction = excluded.extraction,
                     extracted_link = excluded.extracted_link, summary_text = excluded.summary_text,
                     content_text = excluded.content_text, authors = excluded.authors,
                     story = excluded.story, dedup_time = excluded.dedup_time,
                     dedup_reason = excluded.dedup_reason",
        kinds: &[
            Kind::Int,
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Int,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Text,
            Kind::Int,
            Kind::Int,
            Kind::Text,
        ],
    },
    Table {
        name: "tombstones",
        paged: 0,
        select: "SELECT feed_id, key, pruned FROM tombstones ORDER BY feed_id, key",
        upsert: "INSERT INTO tombstones (feed_id, key, pruned) VALUES ($1, $2, $3)
                 ON CONFLICT (feed_id, key) DO UPDATE SET pruned = excluded.pruned",
        kinds: &[Kind::Int, Kind::Text, Kind::Int],
    },
    Table {
        name: "memberships",
        paged: 0,
        select: "SELECT output, item_id FROM memberships ORDER BY output, item_id",
        upsert: "INSERT INTO memberships (output, item_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        kinds: &[Kind::Text, Kind::Int],
    },
    Table {
        name: "output_state",
        paged: 0,
        select: "SELECT output, fingerprint, evaluated FROM output_state ORDER BY output",
        upsert: "INSERT INTO output_state (output, fingerprint, evaluated) VALUES ($1, $2, $3)
                 ON CONFLICT (output) DO UPDATE SET fingerprint = excluded.fingerprint,
                     evaluated = excluded.evaluated",
        kinds: &[Kind::Text, Kind::Text, Kind::Int],
    },
    Table {
        name: "output_feeds",
        paged: 0,
        select: "SELECT output, feed_id FROM output_feeds ORDER BY output, feed_id",
        upsert: "INSERT INTO output_feeds (output, feed_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        kinds: &[Kind::Text, Kind::Int],
    },
    Table {
        name: "dedup_signatures",
        paged: 1,
        select: "SELECT item_id, time, signature FROM dedup_signatures WHERE item_id > ?1
                 ORDER BY item_id LIMIT ?2",
        upsert: "INSERT INTO dedup_signatures (item_id, time, signature) VALUES ($1, $2, $3)
                 ON CONFLICT (item_id) DO UPDATE SET time = excluded.time,
                     signature = excluded.signature",
        kinds: &[Kind::Int, Kind::Int, Kind::Bytes],
    },
    Table {
        name: "dedup_keys",
        paged: 1,
        // SQLite keeps no key table (its keys live in memory): they are
        // computed from the signatures, see `keys_of`.
        select: "SELECT item_id, time, signature FROM dedup_signatures WHERE item_id > ?1
                 ORDER BY item_id LIMIT ?2",
        upsert: "INSERT INTO dedup_keys (key, time, item_id) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
        kinds: &[Kind::Int, Kind::Int, Kind::Int],
    },
];

/// The lookup-key rows `(key, time, item_id)` of a signature row `(item_id,
/// time, signature)`: none for a signature another version wrote.
fn keys_of(r: &rusqlite::Row) -> rusqlite::Result<Vec<Vec<Param>>> {
    let (id, time): (i64, i64) = (r.get(0)?, r.get(1)?);
    let Ok(sig) = crate::dedup::Signature::from_bytes(r.get_ref(2)?.as_blob()?) else {
        return Ok(Vec::new());
    };
    Ok(sig
        .keys()
        .into_iter()
        .take(crate::store::stories::KEYS)
        .map(|k| vec![Box::new(k as i64) as Param, Box::new(time), Box::new(id)])
        .collect())
}

fn value(r: &rusqlite::Row, i: usize, kind: Kind) -> rusqlite::Result<Param> {
    Ok(match kind {
        Kind::Int => Box::new(r.get::<_, Option<i64>>(i)?),
        Kind::Int32 => Box::new(r.get::<_, Option<i64>>(i)?.map(|v| v as i32)),
        Kind::Bool => Box::new(r.get::<_, Option<i64>>(i)?.unwrap_or(0) != 0),
        Kind::Bytes => Box::new(r.get::<_, Option<Vec<u8>>>(i)?),
        Kind::Text => Box::new(
            r.get::<_, Option<String>>(i)?
                .map(|s| clean(&s).into_owned()),
        ),
    })
}

impl Postgres {
    /// Whether the database holds any feed yet.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        self.run(|inner| async move {
            let mut conn = inner.conn().await?;
            let row = conn
                .client()
                .query_one("SELECT NOT EXISTS (SELECT 1 FROM feeds)", &[])
                .await?;
            Ok(row.get(0))
        })
    }

    /// Copies every row of the SQLite database at `from` here (upserts by id);
    /// returns the rows copied per table.
    pub fn import_sqlite(&self, from: &Path) -> Result<Vec<(String, u64)>, StoreError> {
        let source = rusqlite::Connection::open_with_flags(
            from,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|source| StoreError::Open {
            path: from.to_path_buf(),
            source,
        })?;
        // One snapshot of the source, even if a daemon still writes it.
        source.execute_batch("BEGIN")?;
        let mut copied = Vec::new();
        for table in &TABLES {
            let mut n = 0u64;
            // Where the next page starts: the last row's paging columns.
            let mut after = vec![i64::MIN; table.paged];
            loop {
                let source_rows;
                // Items and stories' prints are paged (the large tables); the
                // others are read whole.
                let (rows, last): (Vec<Vec<Param>>, Option<Vec<i64>>) = {
                    let mut stmt = source.prepare(table.select)?;
                    let read = |r: &rusqlite::Row| {
                        let at = (0..table.paged)
                            .map(|i| r.get::<_, i64>(i))
                            .collect::<rusqlite::Result<Vec<_>>>()?;
                        if table.name == "dedup_keys" {
                            return Ok((keys_of(r)?, at));
                        }
                        let values = table
                            .kinds
                            .iter()
                            .enumerate()
                            .map(|(i, k)| value(r, i, *k))
                            .collect::<rusqlite::Result<Vec<_>>>()?;
                        Ok((vec![values], at))
                    };
                    let mut params: Vec<i64> = after.clone();
                    if table.paged > 0 {
                        params.push(CHUNK as i64);
                    }
                    let read: Vec<(Vec<Vec<Param>>, Vec<i64>)> = stmt
                        .query_map(rusqlite::params_from_iter(params), read)?
                        .collect::<rusqlite::Result<_>>()?;
                    let last = read.last().map(|r| r.1.clone());
                    source_rows = read.len();
                    (read.into_iter().flat_map(|r| r.0).collect(), last)
                };
                if let Some(last) = last {
                    after = last;
                }
                let count = rows.len();
                let mut rows = rows;
                while !rows.is_empty() {
                    let chunk: Vec<Vec<Param>> = rows.drain(..rows.len().min(CHUNK)).collect();
                    let upsert = table.upsert;
                    self.run(move |inner| async move {
                        let mut conn = inner.conn().await?;
                        let tx = conn.client().transaction().await?;
                        let stmt = tx.prepare(upsert).await?;
                        try_join_all(chunk.iter().map(|row| {
                            let params: Vec<&(dyn ToSql + Sync)> =
                                row.iter().map(|p| &**p as &(dyn ToSql + Sync)).collect();
                            let stmt = &stmt;
                            let tx = &tx;
                            async move { tx.execute(stmt, &params).await }
                        }))
                        .await?;
                        tx.commit().await?;
                        Ok(())
                    })?;
                }
                n += count as u64;
                if table.paged == 0 || source_rows < CHUNK {
                    break;
                }
            }
            copied.push((table.name.to_string(), n));
        }
        source.execute_batch("COMMIT")?;
        // New rows take ids after the copied ones.
        self.run(|inner| async move {
            let mut conn = inner.conn().await?;
            conn.client()
                .batch_execute(
                    "SELECT setval(pg_get_serial_sequence('feeds', 'id'), coalesce((SELECT max(id) FROM feeds), 0) + 1, false);
                     SELECT setval(pg_get_serial_sequence('items', 'id'), coalesce((SELECT max(id) FROM items), 0) + 1, false);",
                )
                .await?;
            Ok(())
        })?;
        Ok(copied)
    }
}
