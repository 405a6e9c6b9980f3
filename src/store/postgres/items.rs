//! Items on PostgreSQL: a document's items, outputs, memberships, full text,
//! retention. The same queries as SQLite's, in PostgreSQL's dialect.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;

use super::{Postgres, Write, clean, clean_opt};
use crate::model::{HtmlText, NewItem, StoreCounts, StoredItem, StoryPrint};
use crate::normalize::public_id;
use crate::store::stories::Placement;
use crate::store::values::{self, prepared_or_legacy, sort_time, unix};
use crate::store::{
    BACKFILL_CHUNK, Extraction, FeedRef, PRUNE_CHUNK, Pending, Refresh, StoreError,
};

/// The columns `stored_item` reads, in order (items `i` joined with feeds `f`).
pub(super) const ITEM_COLUMNS: &str = "i.uid, f.name, f.url, i.link, i.title, i.summary, i.summary_text,
    coalesce(i.article_html, i.content), CASE WHEN i.article_html IS NULL THEN i.content_text ELSE i.article_text END,
    i.author, i.authors, i.categories, i.sort_time, i.updated, i.modified, i.canonical_link, i.enclosures, i.first_seen,
    CASE WHEN i.dedup_time IS NULL THEN NULL ELSE coalesce(i.story, i.id) END";

impl values::Row for tokio_postgres::Row {
    type Error = tokio_postgres::Error;
    fn text(&self, i: usize) -> Result<Option<String>, tokio_postgres::Error> {
        self.try_get(i)
    }
    fn int(&self, i: usize) -> Result<Option<i64>, tokio_postgres::Error> {
        self.try_get(i)
    }
}

pub(super) fn items_of_rows(
    rows: Vec<tokio_postgres::Row>,
    at: usize,
) -> Result<Vec<StoredItem>, StoreError> {
    rows.iter()
        .map(|r| values::stored_item(r, at).map_err(StoreError::from))
        .collect()
}

type Param<'a> = &'a (dyn ToSql + Sync);

impl Postgres {
    /// Records which feeds each output draws on (replacing what was there).
    pub fn set_output_feeds(&self, outputs: &[(String, Arc<[String]>)]) -> Result<(), StoreError> {
        let outputs: Vec<(String, Vec<String>)> = outputs
            .iter()
            .map(|(o, urls)| {
                (
                    clean(o).into_owned(),
                    urls.iter().map(|u| clean(u).into_owned()).collect(),
                )
            })
            .collect();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let tx = conn.client().transaction().await?;
            // Daemons starting at once write the same rows: one at a time.
            tx.execute("LOCK TABLE output_feeds IN EXCLUSIVE MODE", &[]).await?;
            tx.execute("DELETE FROM output_feeds", &[]).await?;
            for (output, urls) in &outputs {
                tx.execute(
                    "INSERT INTO output_feeds (output, feed_id) SELECT $1, id FROM feeds WHERE url = ANY($2)
                     ON CONFLICT DO NOTHING",
                    &[output, urls],
                )
                .await?;
            }
            tx.commit().await?;
            inner.counters.touch();
            Ok(())
        })
    }

    /// The newest `limit` items of an output.
    pub fn output_items(
        &self,
        output: &str,
        filtered: bool,
        _feeds: usize,
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        let output = output.to_string();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let sql = if filtered {
                "SELECT i.uid, f.name, f.url, i.link, i.title, i.summary, i.summary_text,
                    coalesce(i.article_html, i.content), CASE WHEN i.article_html IS NULL THEN i.content_text ELSE i.article_text END,
                    i.author, i.authors, i.categories, i.sort_time, i.updated, i.modified, i.canonical_link, i.enclosures, i.first_seen,
                    CASE WHEN i.dedup_time IS NULL THEN NULL ELSE coalesce(i.story, i.id) END
                 FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE i.feed_id IN (SELECT feed_id FROM output_feeds WHERE output = $1)
                   AND EXISTS (SELECT 1 FROM memberships m WHERE m.output = $1 AND m.item_id = i.id)
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT $2"
            } else {
                "SELECT i.uid, f.name, f.url, i.link, i.title, i.summary, i.summary_text,
                    coalesce(i.article_html, i.content), CASE WHEN i.article_html IS NULL THEN i.content_text ELSE i.article_text END,
                    i.author, i.authors, i.categories, i.sort_time, i.updated, i.modified, i.canonical_link, i.enclosures, i.first_seen,
                    CASE WHEN i.dedup_time IS NULL THEN NULL ELSE coalesce(i.story, i.id) END
                 FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE i.feed_id IN (SELECT feed_id FROM output_feeds WHERE output = $1)
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT $2"
            };
            let stmt = conn.statement(sql).await?;
            let rows = conn.client().query(&stmt, &[&output, &(limit as i64)]).await?;
            items_of_rows(rows, 0)
        })
    }

    /// Items of a feed waiting for their article page, newest first.
    pub fn pending_extractions(
        &self,
        feed_url: &str,
        limit: usize,
    ) -> Result<Vec<(i64, StoredItem)>, StoreError> {
        let url = feed_url.to_string();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(
                    &format!(
                        "SELECT i.id, {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                         WHERE f.url = $1 AND i.extraction = 'pending' AND i.link IS NOT NULL
                         ORDER BY i.sort_time DESC LIMIT $2"
                    ),
                    &[&url, &(limit as i64)],
                )
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, values::stored_item(r, 1)?)))
                .collect()
        })
    }

    /// Records the outcome of an item's extraction and its memberships.
    pub fn record_extraction(&self, feed: &FeedRef, e: Extraction) -> Pending<()> {
        let now = Utc::now();
        self.feed_write(feed, now, move |mut w| async move {
            let outcome = async {
                let article = e.article.as_ref();
                w.client()
                    .execute(
                        "UPDATE items SET article_html = coalesce($2, article_html), article_text = coalesce($3, article_text),
                             extraction = $4, extracted_link = $5,
                             modified = CASE WHEN $2::TEXT IS NULL THEN modified ELSE $6 END
                         WHERE id = $1",
                        &[
                            &e.item_id,
                            &article.map(|a| clean(&a.html)),
                            &article.map(|a| clean(&a.text)),
                            &clean(&e.outcome),
                            &clean(&e.link),
                            &unix(now),
                        ],
                    )
                    .await?;
                if e.article.is_some() {
                    // The print of the text with the article in it; the story stays.
                    let time: Option<i64> = w
                        .client()
                        .query_opt("SELECT dedup_time FROM items WHERE id = $1", &[&e.item_id])
                        .await?
                        .and_then(|r| r.get(0));
                    if let Some(time) = time {
                        super::stories::forget(&mut w.conn, &[e.item_id]).await?;
                        if let Some(print) = &e.print {
                            super::stories::keep_prints(&mut w.conn, &[(e.item_id, print, time)])
                                .await?;
                        }
                    }
                }
                set_memberships(&mut w, e.item_id, &e.filters, &e.matched).await?;
                w.bumped.push(w.url.clone());
                Ok(())
            }
            .await;
            (w, outcome)
        })
    }

    /// What happened to an item's extraction.
    pub fn extraction_of(&self, uid: &str) -> Result<Option<String>, StoreError> {
        let uid = uid.to_string();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            Ok(conn
                .client()
                .query_opt("SELECT extraction FROM items WHERE uid = $1", &[&uid])
                .await?
                .map(|r| r.get(0)))
        })
    }

    /// An item by public id, link or canonical link.
    pub fn find_item(&self, query: &str) -> Result<Option<StoredItem>, StoreError> {
        let uid = query.trim().trim_start_matches("urn:tidings:").to_string();
        let link = clean(query.trim()).into_owned();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let row = conn
                .client()
                .query_opt(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                         WHERE i.uid = $1 OR i.link = $2 OR i.canonical_link = $2
                         ORDER BY i.sort_time DESC LIMIT 1"
                    ),
                    &[&uid, &link],
                )
                .await?;
            row.map(|r| values::stored_item(&r, 0).map_err(StoreError::from))
                .transpose()
        })
    }

    /// The newest `limit` items of the given feeds.
    pub fn items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        self.newest_items_of(feed_urls, limit)
    }

    /// The newest `limit` items of the feeds at `feed_urls`, newest first.
    pub fn newest_items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        if feed_urls.is_empty() {
            return Ok(Vec::new());
        }
        let urls = feed_urls.to_vec();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                         WHERE f.url = ANY($1) ORDER BY i.sort_time DESC, i.id DESC LIMIT $2"
                    ),
                    &[&urls, &(limit as i64)],
                )
                .await?;
            items_of_rows(rows, 0)
        })
    }

    /// Deletes up to [`PRUNE_CHUNK`] of `feed`'s items beyond its retention
    /// limits, leaving tombstones.
    pub fn prune(
        &self,
        feed: &FeedRef,
        keep_items: Option<u32>,
        keep_days: Option<u32>,
        now: DateTime<Utc>,
    ) -> Pending<usize> {
        let cutoff = keep_days
            .map(|d| unix(now) - i64::from(d) * 86_400)
            .unwrap_or(i64::MIN);
        let keep = keep_items.map(i64::from).unwrap_or(i64::MAX);
        self.feed_write(feed, now, move |mut w| async move {
            let outcome = async {
                let id = w.feed_id;
                let rows = w
                    .client()
                    .query(
                        "SELECT id FROM (
                             SELECT id, sort_time, row_number() OVER (ORDER BY sort_time DESC, id DESC) AS rank
                             FROM items WHERE feed_id = $1) ranked
                         WHERE rank > $2 OR sort_time < $3 LIMIT $4",
                        &[&id, &keep, &cutoff, &(PRUNE_CHUNK as i64)],
                    )
                    .await?;
                let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
                if !ids.is_empty() {
                    w.client()
                        .execute(
                            "INSERT INTO tombstones (feed_id, key, pruned)
                             SELECT feed_id, key, $2 FROM items WHERE id = ANY($1)
                             ON CONFLICT (feed_id, key) DO UPDATE SET pruned = excluded.pruned",
                            &[&ids, &unix(now)],
                        )
                        .await?;
                    super::stories::forget(&mut w.conn, &ids).await?;
                    w.client()
                        .execute("DELETE FROM items WHERE id = ANY($1)", &[&ids])
                        .await?;
                    w.bumped.push(w.url.clone());
                }
                w.client()
                    .execute(
                        "DELETE FROM tombstones WHERE feed_id = $1 AND pruned < $2",
                        &[&id, &(unix(now) - 365 * 86_400)],
                    )
                    .await?;
                Ok(ids.len())
            }
            .await;
            (w, outcome)
        })
    }

    /// Prepares up to [`BACKFILL_CHUNK`] rows stored before bodies were
    /// prepared at ingest (rows copied from an older SQLite database).
    pub fn backfill_text(&self, after: i64) -> Result<Option<(i64, usize)>, StoreError> {
        let rows: Vec<values::Legacy> = self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(
                    "SELECT id, link, CASE WHEN summary_text IS NULL THEN summary END,
                            CASE WHEN content_text IS NULL THEN content END
                     FROM items
                     WHERE id > $1 AND ((summary IS NOT NULL AND summary_text IS NULL)
                                        OR (content IS NOT NULL AND content_text IS NULL))
                     ORDER BY id LIMIT $2",
                    &[&after, &(BACKFILL_CHUNK as i64)],
                )
                .await?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect())
        })?;
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(None);
        };
        let prepared = values::prepare_legacy(rows);
        let done = prepared.len();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let tx = conn.client().transaction().await?;
            let update = tx
                .prepare(
                    "UPDATE items SET summary = coalesce($2, summary), summary_text = coalesce($3, summary_text),
                         content = coalesce($4, content), content_text = coalesce($5, content_text)
                     WHERE id = $1",
                )
                .await?;
            for (id, summary, content) in &prepared {
                tx.execute(
                    &update,
                    &[
                        id,
                        &summary.as_ref().map(|p| clean(&p.html)),
                        &summary.as_ref().map(|p| clean(&p.text)),
                        &content.as_ref().map(|p| clean(&p.html)),
                        &content.as_ref().map(|p| clean(&p.text)),
                    ],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })?;
        Ok(Some((last, done)))
    }

    /// The fingerprint of the rules an output's memberships were computed with.
    pub fn output_fingerprint(&self, output: &str) -> Result<Option<String>, StoreError> {
        let output = output.to_string();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            Ok(conn
                .client()
                .query_opt(
                    "SELECT fingerprint FROM output_state WHERE output = $1",
                    &[&output],
                )
                .await?
                .map(|r| r.get(0)))
        })
    }

    /// Re-evaluates a filtered output over every stored item of its feeds and
    /// replaces its memberships in one transaction.
    pub fn reevaluate(
        &self,
        output: &str,
        feed_urls: &[String],
        fingerprint: &str,
        matches: &dyn Fn(&StoredItem) -> bool,
    ) -> Result<(usize, usize), StoreError> {
        let mut matched: Vec<i64> = Vec::new();
        let mut evaluated = 0;
        let mut after = 0i64;
        let urls = Arc::new(feed_urls.to_vec());
        loop {
            let urls = urls.clone();
            let batch: Vec<(i64, StoredItem)> = self.run(move |inner| async move {
                let mut conn = inner.conn().await?;
                let rows = conn
                    .client()
                    .query(
                        &format!(
                            "SELECT i.id, {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                             WHERE i.id > $1 AND f.url = ANY($2) ORDER BY i.id LIMIT 2000"
                        ),
                        &[&after, &*urls],
                    )
                    .await?;
                rows.iter()
                    .map(|r| Ok((r.try_get(0)?, values::stored_item(r, 1)?)))
                    .collect()
            })?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (id, item) in &batch {
                evaluated += 1;
                if matches(item) {
                    matched.push(*id);
                }
            }
        }
        let (output, fingerprint) = (clean(output).into_owned(), fingerprint.to_string());
        let count = matched.len();
        let key = format!("output:{output}");
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let tx = conn.client().transaction().await?;
            tx.execute("DELETE FROM memberships WHERE output = $1", &[&output])
                .await?;
            tx.execute(
                "INSERT INTO memberships (output, item_id)
                 SELECT $1, id FROM items WHERE id = ANY($2) ON CONFLICT DO NOTHING",
                &[&output, &matched],
            )
            .await?;
            tx.execute(
                "INSERT INTO output_state (output, fingerprint, evaluated) VALUES ($1, $2, $3)
                 ON CONFLICT (output) DO UPDATE SET fingerprint = excluded.fingerprint, evaluated = excluded.evaluated",
                &[&output, &fingerprint, &unix(Utc::now())],
            )
            .await?;
            let payload = format!("{}\n{key}", inner.me);
            tx.execute("SELECT pg_notify($1, $2)", &[&super::CHANNEL, &payload])
                .await?;
            tx.commit().await?;
            inner.counters.bump(&key);
            Ok(())
        })?;
        Ok((evaluated, count))
    }

    /// Whether an item (by public id) is stored as a member of `output`.
    pub fn is_member(&self, output: &str, uid: &str) -> Result<bool, StoreError> {
        let (output, uid) = (output.to_string(), uid.to_string());
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let row = conn
                .client()
                .query_one(
                    "SELECT count(*) FROM memberships m JOIN items i ON i.id = m.item_id
                     WHERE m.output = $1 AND i.uid = $2",
                    &[&output, &uid],
                )
                .await?;
            Ok(row.get::<_, i64>(0) > 0)
        })
    }
}

/// Inserts a document's new items and updates its changed ones; unchanged
/// ones (the usual case) cost nothing beyond one lookup of every key. Item
/// writes are upserts, so a write that lands twice stores each item once.
pub(super) async fn upsert_items(
    w: &mut Write,
    refresh: &Refresh,
    now: i64,
) -> Result<StoreCounts, StoreError> {
    let mut counts = StoreCounts::default();
    if refresh.items.is_empty() {
        return Ok(counts);
    }
    let feed_id = w.feed_id;
    let keys: Vec<String> = refresh
        .items
        .iter()
        .map(|i| clean(&i.key).into_owned())
        .collect();
    let [tombstoned, existing, insert, update, shown, place] = w
        .conn
        .statements([
            "SELECT key FROM tombstones WHERE feed_id = $1 AND key = ANY($2)",
            "SELECT key, id, content_hash, first_seen, dedup_time FROM items WHERE feed_id = $1 AND key = ANY($2)",
            "INSERT INTO items (feed_id, key, uid, guid, link, title, summary, summary_text, content,
                 content_text, author, authors, categories, published, updated, first_seen, modified,
                 sort_time, content_hash, canonical_link, enclosures, extraction, story, dedup_time,
                 dedup_reason)
             SELECT $1, k, u, g, l, t, s, st, c, ct, a, au, ca, p, up, $16, $16, so, h, cl, e, x, sy, dt, dr
               FROM unnest($2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[], $6::TEXT[], $7::TEXT[],
                           $8::TEXT[], $9::TEXT[], $10::TEXT[], $11::TEXT[], $12::TEXT[], $13::TEXT[],
                           $14::BIGINT[], $15::BIGINT[], $17::BIGINT[], $18::TEXT[], $19::TEXT[],
                           $20::TEXT[], $21::TEXT[], $22::BIGINT[], $23::BIGINT[], $24::TEXT[])
                 AS n(k, u, g, l, t, s, st, c, ct, a, au, ca, p, up, so, h, cl, e, x, sy, dt, dr)
             ON CONFLICT (feed_id, key) DO NOTHING
             RETURNING id, key",
            "UPDATE items SET guid = $2, link = $3, title = $4, summary = $5,
                 summary_text = $6, content = $7, content_text = $8,
                 author = $9, authors = $10, categories = $11,
                 published = $12, updated = $13, modified = $14,
                 sort_time = $15, content_hash = $16,
                 canonical_link = $17, enclosures = $18,
                 extraction = CASE WHEN $19 AND $3::TEXT IS NOT NULL
                                       AND (extracted_link IS NULL OR extracted_link <> $3)
                                   THEN 'pending' ELSE extraction END
             WHERE id = $1",
            "SELECT title, link, summary, summary_text, content, content_text, author, categories, modified
             FROM items WHERE id = $1",
            "UPDATE items SET story = $2, dedup_time = $3, dedup_reason = $4 WHERE id = $1",
        ])
        .await?;
    let client: &tokio_postgres::Client = w.conn.client();
    let (gone, found) = futures_util::future::try_join(
        client.query(&tombstoned, &[&feed_id, &keys]),
        client.query(&existing, &[&feed_id, &keys]),
    )
    .await?;
    let gone: std::collections::HashSet<String> = gone.iter().map(|r| r.get(0)).collect();
    let found: HashMap<String, (i64, String, i64, Option<i64>)> = found
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2), r.get(3), r.get(4))))
        .collect();
    let mut new_items = Vec::new();
    let mut changed = Vec::new();
    for (index, item) in refresh.items.iter().enumerate() {
        let key = &keys[index];
        if gone.contains(key) {
            // Pruned by retention while the source still lists it: stays pruned.
            counts.unchanged += 1;
            continue;
        }
        match found.get(key) {
            None => new_items.push(index),
            Some((_, hash, _, _)) if *hash == item.content_hash => counts.unchanged += 1,
            Some((id, _, first_seen, placed)) => {
                changed.push((index, *id, *first_seen, placed.is_some()))
            }
        }
    }
    // Stories: new items, and changed ones stored before stories were kept,
    // are judged now, under the locks of their lookup keys (see `stories`).
    let time_of = |index: usize, arrived: i64| {
        unix(crate::dedup::item_time(
            refresh.items[index].published,
            values::from_unix(arrived),
        ))
    };
    let to_judge: Vec<(usize, i64)> = new_items
        .iter()
        .map(|&i| (i, time_of(i, now)))
        .chain(
            changed
                .iter()
                .filter(|c| !c.3)
                .map(|&(i, _, first_seen, _)| (i, time_of(i, first_seen))),
        )
        .collect();
    let prints: Vec<&StoryPrint> = to_judge
        .iter()
        .filter_map(|&(i, _)| refresh.items[i].print.as_ref())
        .collect();
    super::stories::lock_keys(&mut w.conn, &prints).await?;
    let judged: Vec<(Option<&StoryPrint>, i64)> = to_judge
        .iter()
        .map(|&(i, t)| (refresh.items[i].print.as_ref(), t))
        .collect();
    let placements =
        super::stories::judge(&mut w.conn, feed_id, &judged, refresh.dedup_window_secs).await?;
    let placed: HashMap<usize, (i64, &Placement)> = to_judge
        .iter()
        .zip(&placements)
        .map(|(&(i, t), p)| (i, (t, p)))
        .collect();
    let client: &tokio_postgres::Client = w.conn.client();
    // New items: one statement for all of them (a row each from unnest), so
    // a cold poll of 30 items costs the server one statement, not 30.
    let mut member_writes = Vec::new();
    // Prints to keep: (item id, print, time).
    let mut keep: Vec<(i64, &StoryPrint, i64)> = Vec::new();
    if !new_items.is_empty() {
        let columns: Vec<Columns> = new_items
            .iter()
            .map(|&i| {
                let item = &refresh.items[i];
                Columns::of(item, now, sort_time(item.published, now))
            })
            .collect();
        fn col<'c, T: Clone>(c: &'c [Columns], f: impl Fn(&'c Columns) -> T) -> Vec<T> {
            c.iter().map(f).collect()
        }
        let text = |o: &Option<std::borrow::Cow<'_, str>>| o.as_ref().map(|s| s.to_string());
        let new_keys: Vec<&str> = new_items.iter().map(|&i| keys[i].as_str()).collect();
        let uids: Vec<String> = new_items
            .iter()
            .map(|&i| public_id(w.url.as_str(), &refresh.items[i].key))
            .collect();
        let extraction: Vec<&str> = new_items
            .iter()
            .map(|&i| {
                if refresh.full_text && refresh.items[i].link.is_some() {
                    "pending"
                } else {
                    "off"
                }
            })
            .collect();
        let guid = col(&columns, |c| text(&c.guid));
        let link = col(&columns, |c| text(&c.link));
        let title = col(&columns, |c| c.title.to_string());
        let summary = col(&columns, |c| text(&c.summary[0]));
        let summary_text = col(&columns, |c| text(&c.summary[1]));
        let content = col(&columns, |c| text(&c.content[0]));
        let content_text = col(&columns, |c| text(&c.content[1]));
        let author = col(&columns, |c| text(&c.author));
        let authors = col(&columns, |c| c.authors.clone());
        let categories = col(&columns, |c| c.categories.clone());
        let published = col(&columns, |c| c.published);
        let updated = col(&columns, |c| c.updated);
        let sort_times = col(&columns, |c| c.sort_time);
        let hashes = col(&columns, |c| c.content_hash.to_string());
        let canonical = col(&columns, |c| text(&c.canonical_link));
        let enclosures = col(&columns, |c| c.enclosures.clone());
        let story: Vec<Option<i64>> = new_items.iter().map(|i| placed[i].1.story).collect();
        let dedup_time: Vec<i64> = new_items.iter().map(|i| placed[i].0).collect();
        let dedup_reason: Vec<Option<&str>> = new_items
            .iter()
            .map(|i| placed[i].1.reason.as_deref())
            .collect();
        let params: [Param; 24] = [
            &feed_id,
            &new_keys,
            &uids,
            &guid,
            &link,
            &title,
            &summary,
            &summary_text,
            &content,
            &content_text,
            &author,
            &authors,
            &categories,
            &published,
            &updated,
            &now,
            &sort_times,
            &hashes,
            &canonical,
            &enclosures,
            &extraction,
            &story,
            &dedup_time,
            &dedup_reason,
        ];
        let rows = client.query(&insert, &params).await?;
        let position: HashMap<&str, usize> =
            new_items.iter().map(|&i| (keys[i].as_str(), i)).collect();
        for r in &rows {
            let key: &str = r.get(1);
            if let Some(&index) = position.get(key) {
                member_writes.push((r.get::<_, i64>(0), index));
                if let Some(print) = &refresh.items[index].print {
                    keep.push((r.get::<_, i64>(0), print, placed[&index].0));
                }
            }
        }
        counts.new += rows.len();
        // Stored meanwhile by a write that landed twice: already there.
        counts.unchanged += new_items.len() - rows.len();
    }
    // Changed items: is the change one a reader sees (then `modified` moves)?
    let mut reprinted: Vec<i64> = Vec::new();
    for &(index, id, first_seen, was_placed) in &changed {
        let item = &refresh.items[index];
        let r = client.query_one(&shown, &[&id]).await?;
        let link: Option<String> = r.get(1);
        let text_of = |html: usize| {
            prepared_or_legacy(r.get(html), r.get(html + 1), link.as_deref()).map(|p| p.text)
        };
        let categories: String = r.get(7);
        let same = r.get::<_, String>(0) == clean(&item.title)
            && link.as_deref() == clean_opt(&item.link).as_deref()
            && text_of(2) == item.summary.as_ref().map(|p| clean(&p.text).into_owned())
            && text_of(4) == item.content.as_ref().map(|p| clean(&p.text).into_owned())
            && r.get::<_, Option<String>>(6).as_deref() == clean_opt(&item.author).as_deref()
            && serde_json::from_str::<Vec<String>>(&categories).unwrap_or_default()
                == item.categories;
        let modified = if same { r.get::<_, i64>(8) } else { now };
        let c = Columns::of(item, modified, sort_time(item.published, first_seen));
        let params: [Param; 19] = [
            &id,
            &c.guid,
            &c.link,
            &c.title,
            &c.summary[0],
            &c.summary[1],
            &c.content[0],
            &c.content[1],
            &c.author,
            &c.authors,
            &c.categories,
            &c.published,
            &c.updated,
            &c.modified,
            &c.sort_time,
            &c.content_hash,
            &c.canonical_link,
            &c.enclosures,
            &refresh.full_text,
        ];
        client.execute(&update, &params).await?;
        counts.updated += 1;
        member_writes.push((id, index));
        // Its print is replaced; its story stays (placed now if it had none).
        let time = match placed.get(&index) {
            Some(&(time, p)) if !was_placed => {
                client
                    .execute(&place, &[&id, &p.story, &time, &p.reason.as_deref()])
                    .await?;
                time
            }
            _ => time_of(index, first_seen),
        };
        reprinted.push(id);
        if let Some(print) = &item.print {
            keep.push((id, print, time));
        }
    }
    super::stories::forget(&mut w.conn, &reprinted).await?;
    super::stories::keep_prints(&mut w.conn, &keep).await?;
    if !refresh.filters.is_empty() {
        for (id, index) in member_writes {
            let matched = refresh.matches.get(index).map(Vec::as_slice).unwrap_or(&[]);
            set_memberships(w, id, &refresh.filters, matched).await?;
        }
    }
    Ok(counts)
}

/// The item columns an insert and an update both write, cleaned for PostgreSQL.
struct Columns<'a> {
    guid: Option<std::borrow::Cow<'a, str>>,
    link: Option<std::borrow::Cow<'a, str>>,
    title: std::borrow::Cow<'a, str>,
    summary: [Option<std::borrow::Cow<'a, str>>; 2],
    content: [Option<std::borrow::Cow<'a, str>>; 2],
    author: Option<std::borrow::Cow<'a, str>>,
    authors: String,
    categories: String,
    published: Option<i64>,
    updated: Option<i64>,
    modified: i64,
    sort_time: i64,
    content_hash: std::borrow::Cow<'a, str>,
    canonical_link: Option<std::borrow::Cow<'a, str>>,
    enclosures: String,
}

impl<'a> Columns<'a> {
    fn of(item: &'a NewItem, modified: i64, sort_time: i64) -> Columns<'a> {
        let parts = |b: &'a Option<HtmlText>| values::stored_body(b).map(|c| c.map(clean));
        let json = |s: String| clean(&s).into_owned();
        Columns {
            guid: clean_opt(&item.guid),
            link: clean_opt(&item.link),
            title: clean(&item.title),
            summary: parts(&item.summary),
            content: parts(&item.content),
            author: clean_opt(&item.author),
            authors: json(serde_json::to_string(&item.authors).unwrap_or_else(|_| "[]".into())),
            categories: json(
                serde_json::to_string(&item.categories).unwrap_or_else(|_| "[]".into()),
            ),
            published: item.published.map(unix),
            updated: item.updated.map(unix),
            modified,
            sort_time,
            content_hash: clean(&item.content_hash),
            canonical_link: clean_opt(&item.canonical_link),
            enclosures: json(
                serde_json::to_string(&item.enclosures).unwrap_or_else(|_| "[]".into()),
            ),
        }
    }
}

/// Writes an item's membership of each filtered output in `filters`.
async fn set_memberships(
    w: &mut Write,
    item_id: i64,
    filters: &[String],
    matched: &[usize],
) -> Result<(), StoreError> {
    let [join, forget] = w
        .conn
        .statements([
            "INSERT INTO memberships (output, item_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            "DELETE FROM memberships WHERE output = $1 AND item_id = $2",
        ])
        .await?;
    let client: &tokio_postgres::Client = w.conn.client();
    try_join_all(filters.iter().enumerate().map(|(i, output)| {
        let stmt = if matched.contains(&i) { &join } else { &forget };
        async move { client.execute(stmt, &[output, &item_id]).await }
    }))
    .await?;
    Ok(())
}
