//! Items: insert/update a document's items, read outputs, full text, retention.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, ToSql, params};

use super::Sqlite;
use crate::model::{NewItem, StoreCounts, StoredItem};
use crate::normalize::public_id;
use crate::store::values::{self, from_unix, prepared_or_legacy, sort_time, unix};
use crate::store::{
    BACKFILL_CHUNK, Extraction, FeedRef, PRUNE_CHUNK, Pending, Refresh, StoreError,
};

/// Above this many feeds, an output walks the time index instead of each feed's.
const MANY_FEEDS: usize = 50;

/// The columns `stored_item` reads, in order (items `i` joined with feeds `f`).
// The full text, when extracted, stands in for the feed's content.
pub(super) const ITEM_COLUMNS: &str = "i.uid, f.name, f.url, i.link, i.title, i.summary, i.summary_text,
    coalesce(i.article_html, i.content), CASE WHEN i.article_html IS NULL THEN i.content_text ELSE i.article_text END,
    i.author, i.authors, i.categories, i.sort_time, i.updated, i.modified, i.canonical_link, i.enclosures, i.first_seen,
    CASE WHEN i.dedup_time IS NULL THEN NULL ELSE coalesce(i.story, i.id) END";

impl Sqlite {
    /// Records which feeds each output draws on (replacing what was there), in
    /// one transaction. Called when the config loads or reloads.
    pub fn set_output_feeds(
        &self,
        outputs: &[(String, std::sync::Arc<[String]>)],
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM output_feeds", [])?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT OR IGNORE INTO output_feeds (output, feed_id) SELECT ?1, id FROM feeds WHERE url = ?2",
                )?;
                for (output, urls) in outputs {
                    for url in urls.iter() {
                        insert.execute(params![output, url])?;
                    }
                }
            }
            tx.commit()
        })?;
        self.shared.counters.touch();
        Ok(())
    }

    /// The newest `limit` items of an output (its feeds as set by
    /// [`Store::set_output_feeds`]; with `filtered`, only its stored members).
    /// `feeds` (how many feeds it draws on) picks the plan: few feeds use their
    /// (feed, time) index and a small sort; many walk the time index newest first
    /// and stop after `limit` matches (1M items in 10,000 feeds: a few ms).
    pub fn output_items(
        &self,
        output: &str,
        filtered: bool,
        feeds: usize,
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        self.read(|c| {
            let walk = if feeds > MANY_FEEDS {
                "INDEXED BY items_by_time"
            } else {
                ""
            };
            let members = if filtered {
                "AND EXISTS (SELECT 1 FROM memberships m WHERE m.output = ?1 AND m.item_id = i.id)"
            } else {
                ""
            };
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items i {walk} JOIN feeds f ON f.id = i.feed_id
                 WHERE i.feed_id IN (SELECT feed_id FROM output_feeds WHERE output = ?1) {members}
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT {limit}"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([output], stored_item)?;
            rows.collect()
        })
    }

    /// Items of a feed waiting for their article page, newest first (at most `limit`).
    pub fn pending_extractions(
        &self,
        feed_url: &str,
        limit: usize,
    ) -> Result<Vec<(i64, StoredItem)>, StoreError> {
        self.read(|c| {
            let sql = format!(
                "SELECT i.id, {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE f.url = ?1 AND i.extraction = 'pending' AND i.link IS NOT NULL
                 ORDER BY i.sort_time DESC LIMIT {limit}"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map([feed_url], |r| Ok((r.get(0)?, stored_item_at(r, 1)?)))?;
            rows.collect()
        })
    }

    /// Records the outcome of an item's extraction: the article (when it is
    /// used), what happened, and the item's filtered-output memberships
    /// re-evaluated on the full text, together, queued with the polls' writes.
    pub fn record_extraction(&self, feed: &FeedRef, e: Extraction) -> Pending<()> {
        let now = Utc::now();
        self.feed_write(
            feed,
            now,
            move |c, _, _, shared| {
                let article = e.article.as_ref();
                c.execute(
                    "UPDATE items SET article_html = coalesce(?2, article_html), article_text = coalesce(?3, article_text),
                         extraction = ?4, extracted_link = ?5, modified = CASE WHEN ?2 IS NULL THEN modified ELSE ?6 END
                     WHERE id = ?1",
                    params![
                        e.item_id,
                        article.map(|a| &a.html),
                        article.map(|a| &a.text),
                        e.outcome,
                        e.link,
                        unix(now)
                    ],
                )?;
                if e.article.is_some() {
                    let time: Option<i64> = c
                        .query_row("SELECT dedup_time FROM items WHERE id = ?1", [e.item_id], |r| r.get(0))?;
                    if let Some(time) = time {
                        super::stories::replace_print(
                            c,
                            &mut super::stories::lock(&shared.keys),
                            e.item_id,
                            e.print.as_ref(),
                            time,
                        )?;
                    }
                }
                set_memberships(c, e.item_id, &e.filters, &e.matched)
            },
            |(), url, shared| shared.bump(url),
        )
    }

    /// What happened to an item's extraction (`off`, `pending`, `ok`, or a reason).
    pub fn extraction_of(&self, uid: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row("SELECT extraction FROM items WHERE uid = ?1", [uid], |r| {
                r.get(0)
            })
            .optional()
        })
    }

    /// An item by public id (`urn:tidings:…` or the bare hex), link or canonical link.
    pub fn find_item(&self, query: &str) -> Result<Option<StoredItem>, StoreError> {
        let uid = query.trim().trim_start_matches("urn:tidings:");
        self.read(|c| {
            c.query_row(
                &format!(
                    "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                     WHERE i.uid = ?1 OR i.link = ?2 OR i.canonical_link = ?2
                     ORDER BY i.sort_time DESC LIMIT 1"
                ),
                params![uid, query.trim()],
                stored_item,
            )
            .optional()
        })
    }

    /// The newest `limit` items of the given feeds, newest first (outputs use
    /// [`Store::output_items`]; this is for ad-hoc reads of a few feeds).
    pub fn items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        if feed_urls.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let placeholders = vec!["?"; feed_urls.len()].join(",");
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE f.url IN ({placeholders})
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT {limit}"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(feed_urls), stored_item)?;
            rows.collect()
        })
    }

    /// Deletes up to [`PRUNE_CHUNK`] of `feed`'s items beyond its retention
    /// limits (the newest are kept), queued with the polls' writes: it commits in
    /// their batch and holds no thread while it waits. Call again while it
    /// returns `PRUNE_CHUNK`, so a long backlog (retention just configured) goes
    /// in small steps. Each pruned item leaves a tombstone (its key) so that it
    /// is not imported again while the source still lists it.
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
        self.feed_write(
            feed,
            now,
            move |c, feed_id, _, shared| {
                let ids: Vec<i64> = {
                    let mut stmt = c.prepare_cached(
                        "SELECT id FROM (
                             SELECT id, sort_time, row_number() OVER (ORDER BY sort_time DESC, id DESC) AS rank
                             FROM items WHERE feed_id = ?1)
                         WHERE rank > ?2 OR sort_time < ?3 LIMIT ?4",
                    )?;
                    let rows = stmt.query_map(
                        params![feed_id, keep, cutoff, PRUNE_CHUNK as i64],
                        |r| r.get(0),
                    )?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                for id in &ids {
                    c.execute(
                        "INSERT OR REPLACE INTO tombstones (feed_id, key, pruned)
                         SELECT feed_id, key, ?2 FROM items WHERE id = ?1",
                        params![id, unix(now)],
                    )?;
                    super::stories::forget(c, &mut super::stories::lock(&shared.keys), *id)?;
                    c.execute("DELETE FROM items WHERE id = ?1", [id])?;
                }
                // A tombstone is needed only while the source may still list the item.
                c.execute(
                    "DELETE FROM tombstones WHERE pruned < ?1",
                    [unix(now) - 365 * 86_400],
                )?;
                Ok(ids.len())
            },
            |pruned, url, shared| {
                if *pruned > 0 {
                    shared.bump(url);
                }
            },
        )
    }
}

impl Sqlite {
    /// Prepares up to [`BACKFILL_CHUNK`] rows stored before bodies were
    /// prepared at ingest (their text is NULL), after row id `after`: their
    /// HTML is sanitised and their text kept, as new rows' are. Returns the last
    /// row id looked at (pass it back as `after`) and how many rows were done;
    /// `None` when no such row is left. Reading them works without this (they
    /// are prepared when read); it only makes that work happen once.
    pub fn backfill_text(&self, after: i64) -> Result<Option<(i64, usize)>, StoreError> {
        let rows: Vec<values::Legacy> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, link, CASE WHEN summary_text IS NULL THEN summary END,
                        CASE WHEN content_text IS NULL THEN content END
                 FROM items
                 WHERE id > ?1 AND ((summary IS NOT NULL AND summary_text IS NULL)
                                    OR (content IS NOT NULL AND content_text IS NULL))
                 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, BACKFILL_CHUNK as i64], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect()
        })?;
        let Some(last) = rows.last().map(|r| r.0) else {
            return Ok(None);
        };
        let prepared = values::prepare_legacy(rows);
        let done = prepared.len();
        self.write(|c| {
            let tx = c.transaction()?;
            {
                let mut update = tx.prepare_cached(
                    "UPDATE items SET summary = coalesce(?2, summary), summary_text = coalesce(?3, summary_text),
                         content = coalesce(?4, content), content_text = coalesce(?5, content_text)
                     WHERE id = ?1",
                )?;
                for (id, summary, content) in &prepared {
                    update.execute(params![
                        id,
                        summary.as_ref().map(|p| &p.html),
                        summary.as_ref().map(|p| &p.text),
                        content.as_ref().map(|p| &p.html),
                        content.as_ref().map(|p| &p.text),
                    ])?;
                }
            }
            tx.commit()
        })?;
        Ok(Some((last, done)))
    }
}

fn stored_item(r: &rusqlite::Row) -> rusqlite::Result<StoredItem> {
    stored_item_at(r, 0)
}

pub(super) fn stored_item_at(r: &rusqlite::Row, at: usize) -> rusqlite::Result<StoredItem> {
    values::stored_item(r, at)
}

pub(super) fn upsert_items(
    tx: &Connection,
    keys: &mut super::stories::KeyIndex,
    feed_id: i64,
    feed_url: &str,
    refresh: &Refresh,
    now: i64,
) -> rusqlite::Result<StoreCounts> {
    let items = &refresh.items;
    let mut counts = StoreCounts::default();
    let memberships = |item_id: i64, index: usize| {
        let matched = refresh.matches.get(index).map(Vec::as_slice).unwrap_or(&[]);
        set_memberships(tx, item_id, &refresh.filters, matched)
    };
    let mut tombstoned =
        tx.prepare_cached("SELECT 1 FROM tombstones WHERE feed_id = ?1 AND key = ?2")?;
    let mut existing = tx.prepare_cached(
        "SELECT id, content_hash, first_seen FROM items WHERE feed_id = ?1 AND key = ?2",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO items (feed_id, key, uid, guid, link, title, summary, summary_text, content,
             content_text, author, authors, categories, published, updated, first_seen, modified,
             sort_time, content_hash, canonical_link, enclosures, extraction, story, dedup_time,
             dedup_reason)
         VALUES (:feed_id, :key, :uid, :guid, :link, :title, :summary, :summary_text, :content,
             :content_text, :author, :authors, :categories, :published, :updated, :modified, :modified,
             :sort_time, :content_hash, :canonical_link, :enclosures, :extraction, :story, :dedup_time,
             :dedup_reason)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE items SET guid = :guid, link = :link, title = :title, summary = :summary,
             summary_text = :summary_text, content = :content, content_text = :content_text,
             author = :author, authors = :authors, categories = :categories,
             published = :published, updated = :updated, modified = :modified,
             sort_time = :sort_time, content_hash = :content_hash,
             canonical_link = :canonical_link, enclosures = :enclosures,
             extraction = CASE WHEN :full_text AND :link IS NOT NULL
                                   AND (extracted_link IS NULL OR extracted_link <> :link)
                               THEN 'pending' ELSE extraction END
         WHERE id = :id",
    )?;
    let mut shown = tx.prepare_cached(
        "SELECT title, link, summary, summary_text, content, content_text, author, categories, modified
         FROM items WHERE id = ?1",
    )?;
    for (index, item) in items.iter().enumerate() {
        if tombstoned.exists(params![feed_id, item.key])? {
            // Pruned by retention while the source still lists it: stays pruned.
            counts.unchanged += 1;
            continue;
        }
        let found: Option<(i64, String, i64)> = existing
            .query_row(params![feed_id, item.key], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        match found {
            None => {
                let columns = Columns::of(item, now, sort_time(item.published, now));
                let uid = public_id(feed_url, &item.key);
                let extraction = if refresh.full_text && item.link.is_some() {
                    "pending"
                } else {
                    "off"
                };
                let time = unix(crate::dedup::item_time(item.published, from_unix(now)));
                let placed = super::stories::judge_new(
                    tx,
                    keys,
                    feed_id,
                    item,
                    time,
                    refresh.dedup_window_secs,
                )?;
                let mut params = columns.params();
                params.extend([
                    (":feed_id", &feed_id as &dyn ToSql),
                    (":key", &item.key),
                    (":uid", &uid),
                    (":extraction", &extraction),
                    (":story", &placed.story),
                    (":dedup_time", &time),
                    (":dedup_reason", &placed.reason),
                ]);
                insert.execute(&*params)?;
                let id = tx.last_insert_rowid();
                memberships(id, index)?;
                super::stories::keep_print(tx, keys, id, item.print.as_ref(), time)?;
                counts.new += 1;
            }
            Some((_, hash, _)) if hash == item.content_hash => counts.unchanged += 1,
            Some((id, _, first_seen)) => {
                // Edited as a reader sees it, or only as the source wrote it
                // (whitespace, markup, an upgrade of how bodies are prepared)?
                // Only the first is news: `modified` (Atom `updated`) moves then.
                let modified = shown.query_row([id], |r| {
                    let link: Option<String> = r.get(1)?;
                    let text_of = |html: usize| -> rusqlite::Result<Option<String>> {
                        Ok(
                            prepared_or_legacy(r.get(html)?, r.get(html + 1)?, link.as_deref())
                                .map(|p| p.text),
                        )
                    };
                    let categories: String = r.get(7)?;
                    let same = r.get::<_, String>(0)? == item.title
                        && link == item.link
                        && text_of(2)? == item.summary.as_ref().map(|p| p.text.clone())
                        && text_of(4)? == item.content.as_ref().map(|p| p.text.clone())
                        && r.get::<_, Option<String>>(6)? == item.author
                        && serde_json::from_str::<Vec<String>>(&categories).unwrap_or_default()
                            == item.categories;
                    Ok(if same { r.get::<_, i64>(8)? } else { now })
                })?;
                let columns = Columns::of(item, modified, sort_time(item.published, first_seen));
                let mut params = columns.params();
                params.extend([
                    (":id", &id as &dyn ToSql),
                    (":full_text", &refresh.full_text),
                ]);
                update.execute(&*params)?;
                memberships(id, index)?;
                let time = unix(crate::dedup::item_time(
                    item.published,
                    from_unix(first_seen),
                ));
                super::stories::reprint(
                    tx,
                    keys,
                    id,
                    feed_id,
                    item,
                    time,
                    refresh.dedup_window_secs,
                )?;
                counts.updated += 1;
            }
        }
    }
    Ok(counts)
}

/// The item columns an insert and an update both write, bound by name. Built
/// only for new and changed items (unchanged ones are the common case).
struct Columns<'a> {
    item: &'a NewItem,
    summary: [Option<&'a str>; 2],
    content: [Option<&'a str>; 2],
    authors: String,
    categories: String,
    enclosures: String,
    published: Option<i64>,
    updated: Option<i64>,
    modified: i64,
    sort_time: i64,
}

impl<'a> Columns<'a> {
    fn of(item: &'a NewItem, modified: i64, sort_time: i64) -> Columns<'a> {
        Columns {
            item,
            summary: values::stored_body(&item.summary),
            content: values::stored_body(&item.content),
            authors: serde_json::to_string(&item.authors).unwrap_or_else(|_| "[]".into()),
            categories: serde_json::to_string(&item.categories).unwrap_or_else(|_| "[]".into()),
            enclosures: serde_json::to_string(&item.enclosures).unwrap_or_else(|_| "[]".into()),
            published: item.published.map(unix),
            updated: item.updated.map(unix),
            modified,
            sort_time,
        }
    }

    fn params(&self) -> Vec<(&'static str, &dyn ToSql)> {
        let i = self.item;
        vec![
            (":guid", &i.guid),
            (":link", &i.link),
            (":title", &i.title),
            (":summary", &self.summary[0]),
            (":summary_text", &self.summary[1]),
            (":content", &self.content[0]),
            (":content_text", &self.content[1]),
            (":author", &i.author),
            (":authors", &self.authors),
            (":categories", &self.categories),
            (":published", &self.published),
            (":updated", &self.updated),
            (":modified", &self.modified),
            (":sort_time", &self.sort_time),
            (":content_hash", &i.content_hash),
            (":canonical_link", &i.canonical_link),
            (":enclosures", &self.enclosures),
        ]
    }
}

/// Writes an item's membership of each filtered output in `filters`: in for
/// the indices in `matched`, out for the others.
fn set_memberships(
    tx: &Connection,
    item_id: i64,
    filters: &[String],
    matched: &[usize],
) -> rusqlite::Result<()> {
    let mut join =
        tx.prepare_cached("INSERT OR IGNORE INTO memberships (output, item_id) VALUES (?1, ?2)")?;
    let mut forget =
        tx.prepare_cached("DELETE FROM memberships WHERE output = ?1 AND item_id = ?2")?;
    for (i, output) in filters.iter().enumerate() {
        if matched.contains(&i) {
            join.execute(params![output, item_id])?;
        } else {
            forget.execute(params![output, item_id])?;
        }
    }
    Ok(())
}
