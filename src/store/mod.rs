//! SQLite storage. The only module that knows SQL.
//!
//! One writer connection behind a mutex (SQLite allows one writer anyway) and a
//! small pool of read-only connections for serving; WAL lets readers run while a
//! write is in progress. Every method is synchronous: async callers go through
//! [`blocking`], never calling these on a runtime worker. A refresh's writes happen
//! in one transaction, so a failure leaves nothing half-written.

mod schema;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};

use crate::model::{FeedState, NewItem, StoreCounts, StoredItem, Validators};
use crate::normalize::public_id;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database file could not be opened or created.
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// The database was written by a newer tidings.
    #[error(
        "database schema version {found} is newer than this tidings supports ({supported}); upgrade tidings"
    )]
    TooNew {
        /// Version found in the file.
        found: usize,
        /// Newest version this build knows.
        supported: usize,
    },
    /// A migration failed (the database is left at the previous version).
    #[error("database migration {version} failed: {source}")]
    Migration {
        /// The migration that failed.
        version: usize,
        /// Why.
        source: rusqlite::Error,
    },
    /// Any other SQLite error (disk full, read-only file, corruption...).
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// A blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The database cannot take writes right now (disk or size cap full,
    /// read-only file or file system): polling should pause, serving goes on.
    pub fn is_unwritable(&self) -> bool {
        let sqlite = match self {
            StoreError::Sqlite(e)
            | StoreError::Open { source: e, .. }
            | StoreError::Migration { source: e, .. } => e,
            _ => return false,
        };
        matches!(
            sqlite.sqlite_error_code(),
            Some(
                rusqlite::ErrorCode::DiskFull
                    | rusqlite::ErrorCode::ReadOnly
                    | rusqlite::ErrorCode::SystemIoFailure
                    | rusqlite::ErrorCode::CannotOpen
            )
        )
    }
}

/// A feed as the pipeline refers to it.
#[derive(Debug, Clone)]
pub struct FeedRef<'a> {
    /// Configured URL (identity).
    pub url: &'a str,
    /// Display name.
    pub name: &'a str,
}

/// What a successful fetch + parse brings to store.
#[derive(Debug)]
pub struct Refresh<'a> {
    /// HTTP status of the fetch.
    pub status: u16,
    /// Validators to send next time.
    pub validators: &'a Validators,
    /// Document title.
    pub title: Option<&'a str>,
    /// Document's site link.
    pub site_link: Option<&'a str>,
    /// The normalised items, keys unique.
    pub items: &'a [NewItem],
    /// Filtered outputs that draw on this feed: their membership of each new or
    /// changed item is (re)written with it.
    pub filters: &'a [String],
    /// Per item (parallel to `items`): indices into `filters` whose rules match.
    pub matches: &'a [Vec<usize>],
    /// Where the feed moved permanently (301/308), if it did.
    pub moved_to: Option<&'a str>,
    /// No poll before this time (cache headers, `<ttl>`).
    pub not_before: Option<DateTime<Utc>>,
    /// The feed wants full text: new items (and items whose link changed) are
    /// marked for extraction.
    pub full_text: bool,
}

/// Handle to the database. Cheap to clone; share it between tasks.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Mutex<Vec<Connection>>>,
    changes: Arc<AtomicU64>,
    versions: Arc<Mutex<std::collections::HashMap<String, u64>>>,
    /// Feed ids by configured URL, so a poll's writes need no upsert.
    ids: Arc<Mutex<std::collections::HashMap<String, i64>>>,
}

/// Runs a store call on the blocking pool; re-raises its panic, if any.
pub async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(result) => result,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => Err(StoreError::Task(e.to_string())),
    }
}

fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

fn from_unix(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}

/// Stated dates in the future (bad clocks, scheduled posts) would pin an item to
/// the top of every output: the shown date is never later than when we first saw it.
fn sort_time(published: Option<DateTime<Utc>>, first_seen: i64) -> i64 {
    published.map_or(first_seen, |p| unix(p).min(first_seen))
}

impl Store {
    /// Opens (creating if needed) the database and runs pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let open_err = |source| StoreError::Open {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                open_err(rusqlite::Error::InvalidPath(PathBuf::from(format!(
                    "{}: {e}",
                    dir.display()
                ))))
            })?;
        }
        let mut writer = Connection::open(path).map_err(open_err)?;
        configure(&writer).map_err(open_err)?;
        schema::migrate(&mut writer)?;
        Ok(Store {
            path: path.to_path_buf(),
            writer: Arc::new(Mutex::new(writer)),
            readers: Arc::new(Mutex::new(Vec::new())),
            changes: Arc::new(AtomicU64::new(1)),
            versions: Arc::new(Mutex::new(std::collections::HashMap::new())),
            ids: Arc::new(Mutex::new(std::collections::HashMap::new())),
        })
    }

    /// Caps the database at `mb` megabytes (SQLite `max_page_count`); writes past
    /// it fail like a full disk. `None` lifts the cap.
    pub fn set_size_limit(&self, mb: Option<u64>) -> Result<(), StoreError> {
        self.write(|c| {
            let page: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
            let pages = mb.map_or(4_294_967_294, |mb| ((mb as i64) << 20) / page.max(512));
            c.query_row(&format!("PRAGMA max_page_count = {pages}"), [], |_| Ok(()))
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A counter bumped whenever stored items change; renderers cache on it.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// Records a change of a feed's items (or, with `output:NAME`, of an output's
    /// memberships), for [`Store::version_of`].
    fn bump(&self, key: &str) {
        *self
            .versions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.to_string())
            .or_default() += 1;
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// A number that changes when the items of `feed_urls` or the memberships of
    /// `output` change (in this process): lets a renderer skip re-rendering an
    /// output whose own items did not change while other feeds did.
    pub fn version_of(&self, output: &str, feed_urls: &[String]) -> u64 {
        let versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        let of = |k: &str| versions.get(k).copied().unwrap_or(0);
        feed_urls.iter().map(|u| of(u)).sum::<u64>() + of(&format!("output:{output}"))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        // A panic while holding the lock leaves no open transaction (it rolls back
        // on drop), so a poisoned mutex is still a usable connection.
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        Ok(f(&mut conn)?)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> Result<T, StoreError> {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let conn = match pooled {
            Some(c) => c,
            None => {
                let c = Connection::open_with_flags(
                    &self.path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                c.busy_timeout(std::time::Duration::from_secs(5))?;
                c
            }
        };
        let result = f(&conn);
        let mut pool = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < 8 {
            pool.push(conn);
        }
        Ok(result?)
    }

    /// Registers a configured feed (or updates its display name).
    pub fn ensure_feed(&self, feed: &FeedRef, now: DateTime<Utc>) -> Result<(), StoreError> {
        let id = self.write(|c| ensure_feed(c, feed, now))?;
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(feed.url.to_string(), id);
        Ok(())
    }

    /// The feed's row id: cached after the first lookup (registering the feed if
    /// needed), so a poll's writes do not upsert the feed row each time.
    fn feed_id(&self, c: &Connection, feed: &FeedRef, now: DateTime<Utc>) -> rusqlite::Result<i64> {
        if let Some(id) = self
            .ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(feed.url)
        {
            return Ok(*id);
        }
        let id = ensure_feed(c, feed, now)?;
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(feed.url.to_string(), id);
        Ok(id)
    }

    /// The feed's bookkeeping; default for a feed never polled.
    pub fn feed_state(&self, url: &str) -> Result<FeedState, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT etag, last_modified, last_poll, last_status, last_error,
                        consecutive_failures, last_new_item,
                        (SELECT count(*) FROM items WHERE feed_id = feeds.id),
                        current_url, not_before, gone
                 FROM feeds WHERE url = ?1",
                [url],
                |r| {
                    Ok(FeedState {
                        validators: Validators {
                            etag: r.get(0)?,
                            last_modified: r.get(1)?,
                        },
                        last_poll: r.get::<_, Option<i64>>(2)?.map(from_unix),
                        last_status: r.get(3)?,
                        last_error: r.get(4)?,
                        consecutive_failures: r.get(5)?,
                        last_new_item: r.get::<_, Option<i64>>(6)?.map(from_unix),
                        items: r.get::<_, i64>(7)? as u64,
                        current_url: r.get(8)?,
                        not_before: r.get::<_, Option<i64>>(9)?.map(from_unix),
                        gone: r.get::<_, i64>(10)? != 0,
                    })
                },
            )
            .optional()
            .map(Option::unwrap_or_default)
        })
    }

    /// Stores a fetched document's items and the feed's bookkeeping, all in one
    /// transaction: new keys are inserted, changed ones updated in place.
    pub fn record_refresh(
        &self,
        feed: &FeedRef,
        refresh: &Refresh,
        now: DateTime<Utc>,
    ) -> Result<StoreCounts, StoreError> {
        let counts = self.write(|c| {
            let tx = c.transaction()?;
            let feed_id = self.feed_id(&tx, feed, now)?;
            let counts = upsert_items(&tx, feed_id, feed.url, refresh, unix(now))?;
            tx.execute(
                "UPDATE feeds SET title = coalesce(?2, title), site_link = coalesce(?3, site_link),
                     etag = ?4, last_modified = ?5, last_poll = ?6, last_status = ?7,
                     last_error = NULL, consecutive_failures = 0,
                     last_new_item = CASE WHEN ?8 > 0 THEN ?6 ELSE last_new_item END,
                     current_url = coalesce(?9, current_url), not_before = ?10
                 WHERE id = ?1",
                params![
                    feed_id,
                    refresh.title,
                    refresh.site_link,
                    refresh.validators.etag,
                    refresh.validators.last_modified,
                    unix(now),
                    refresh.status,
                    counts.new as i64,
                    refresh.moved_to,
                    refresh.not_before.map(unix)
                ],
            )?;
            tx.commit()?;
            Ok(counts)
        })?;
        if counts.new + counts.updated > 0 {
            self.bump(feed.url);
        }
        Ok(counts)
    }

    /// Records a poll that found nothing new (304, or an unchanged ETag).
    /// Also records where the feed moved permanently and the earliest next poll.
    pub fn record_not_modified(
        &self,
        feed: &FeedRef,
        status: u16,
        moved_to: Option<&str>,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let id = self.feed_id(c, feed, now)?;
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = ?3, last_error = NULL,
                     consecutive_failures = 0, current_url = coalesce(?4, current_url), not_before = ?5
                 WHERE id = ?1",
                params![id, unix(now), status, moved_to, not_before.map(unix)],
            )?;
            Ok(())
        })
    }

    /// Records a failed poll; stored items are untouched.
    pub fn record_failure(
        &self,
        feed: &FeedRef,
        status: Option<u16>,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        self.write(|c| {
            let id = self.feed_id(c, feed, now)?;
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = ?3, last_error = ?4,
                     consecutive_failures = consecutive_failures + 1 WHERE id = ?1",
                params![id, unix(now), status, error],
            )?;
            c.query_row(
                "SELECT consecutive_failures FROM feeds WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
        })
    }

    /// Records a 429/503 with Retry-After: not a failure; no poll before `until`.
    pub fn record_deferred(
        &self,
        feed: &FeedRef,
        status: u16,
        message: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let id = self.feed_id(c, feed, now)?;
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = ?3, last_error = ?4, not_before = ?5 WHERE id = ?1",
                params![id, unix(now), status, message, unix(until)],
            )?;
            Ok(())
        })
    }

    /// Records a 410 Gone: the feed is not polled again (until its URL changes in
    /// the config). Its items stay.
    pub fn record_gone(&self, feed: &FeedRef, now: DateTime<Utc>) -> Result<(), StoreError> {
        self.write(|c| {
            let id = self.feed_id(c, feed, now)?;
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = 410, gone = 1,
                     last_error = '410 Gone: the server says this feed was removed; polling stopped' WHERE id = ?1",
                params![id, unix(now)],
            )?;
            Ok(())
        })
    }

    /// The newest `limit` items of the given feeds, newest first; with `output`,
    /// only the filtered output's stored members.
    pub fn items_of_output(
        &self,
        output: Option<&str>,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        if feed_urls.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let placeholders = vec!["?"; feed_urls.len()].join(",");
            let members = if output.is_some() {
                "AND EXISTS (SELECT 1 FROM memberships m WHERE m.output = ? AND m.item_id = i.id)"
            } else {
                ""
            };
            // Few feeds: their (feed, time) index and a small sort. Many feeds: walk
            // the time index newest first and stop after `limit` matches (at 1M
            // items and 10,000 feeds, 6 ms instead of 30 ms; SQLite's planner does
            // not find this on its own with a long IN list).
            let walk = if feed_urls.len() > MANY_FEEDS {
                "INDEXED BY items_by_time"
            } else {
                ""
            };
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items i {walk} JOIN feeds f ON f.id = i.feed_id
                 WHERE i.feed_id IN (SELECT id FROM feeds WHERE url IN ({placeholders})) {members}
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT {limit}"
            );
            let mut stmt = c.prepare_cached(&sql)?;
            let params = feed_urls.iter().map(String::as_str).chain(output);
            let rows = stmt.query_map(rusqlite::params_from_iter(params), stored_item)?;
            rows.collect()
        })
    }

    /// The fingerprint of the rules an output's memberships were computed with.
    pub fn output_fingerprint(&self, output: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT fingerprint FROM output_state WHERE output = ?1",
                [output],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Re-evaluates a filtered output over every stored item of its feeds and
    /// replaces its memberships in one transaction (serving never sees a half-done
    /// state). Returns (items evaluated, items matched).
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
        loop {
            let batch = self.read(|c| {
                let placeholders = vec!["?"; feed_urls.len().max(1)].join(",");
                let sql = format!(
                    "SELECT i.id, {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                     WHERE i.id > ? AND f.url IN ({placeholders}) ORDER BY i.id LIMIT 2000"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let after_text = after.to_string();
                let params = std::iter::once(after_text.as_str())
                    .chain(feed_urls.iter().map(String::as_str));
                let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
                    Ok((r.get::<_, i64>(0)?, stored_item_at(r, 1)?))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
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
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM memberships WHERE output = ?1", [output])?;
            {
                let mut insert = tx.prepare_cached("INSERT INTO memberships (output, item_id) VALUES (?1, ?2)")?;
                for id in &matched {
                    insert.execute(params![output, id])?;
                }
            }
            tx.execute(
                "INSERT INTO output_state (output, fingerprint, evaluated) VALUES (?1, ?2, ?3)
                 ON CONFLICT (output) DO UPDATE SET fingerprint = excluded.fingerprint, evaluated = excluded.evaluated",
                params![output, fingerprint, unix(Utc::now())],
            )?;
            tx.commit()
        })?;
        self.bump(&format!("output:{output}"));
        Ok((evaluated, matched.len()))
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
    /// re-evaluated on the full text, in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub fn record_extraction(
        &self,
        feed_url: &str,
        item_id: i64,
        link: &str,
        article: Option<(&str, &str)>,
        outcome: &str,
        filters: &[String],
        matched: &[usize],
    ) -> Result<(), StoreError> {
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE items SET article_html = coalesce(?2, article_html), article_text = coalesce(?3, article_text),
                     extraction = ?4, extracted_link = ?5, modified = CASE WHEN ?2 IS NULL THEN modified ELSE ?6 END
                 WHERE id = ?1",
                params![item_id, article.map(|a| a.0), article.map(|a| a.1), outcome, link, unix(Utc::now())],
            )?;
            for (i, output) in filters.iter().enumerate() {
                if matched.contains(&i) {
                    tx.execute("INSERT OR IGNORE INTO memberships (output, item_id) VALUES (?1, ?2)", params![output, item_id])?;
                } else {
                    tx.execute("DELETE FROM memberships WHERE output = ?1 AND item_id = ?2", params![output, item_id])?;
                }
            }
            tx.commit()
        })?;
        self.bump(feed_url);
        Ok(())
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

    /// Whether an item (by public id) is stored as a member of `output`.
    pub fn is_member(&self, output: &str, uid: &str) -> Result<bool, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT count(*) FROM memberships m JOIN items i ON i.id = m.item_id WHERE m.output = ?1 AND i.uid = ?2",
                params![output, uid],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        })
    }

    /// The newest `limit` items of the given feeds, newest first.
    pub fn items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        self.items_of_output(None, feed_urls, limit)
    }

    /// Folds the write-ahead log into the database file (at shutdown), so the
    /// file alone is a complete copy.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.write(|c| c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(())))
    }

    /// A consistent copy of the database at `dest` (VACUUM INTO), safe while the
    /// daemon runs: it reads one snapshot and never blocks the writer for long.
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        self.read(|c| {
            c.execute("VACUUM INTO ?1", [dest.to_string_lossy()])
                .map(|_| ())
        })
    }

    /// Deletes items beyond the retention limits of a feed, newest kept, in
    /// transactions of at most 500 items so serving and polling never wait long.
    /// Each pruned item leaves a tombstone (its key) so that it is not imported
    /// again while the source still lists it. Returns how many were pruned.
    pub fn prune(
        &self,
        feed_url: &str,
        keep_items: Option<u32>,
        keep_days: Option<u32>,
        now: DateTime<Utc>,
    ) -> Result<usize, StoreError> {
        let cutoff = keep_days
            .map(|d| unix(now) - i64::from(d) * 86_400)
            .unwrap_or(i64::MIN);
        let keep = keep_items.map(i64::from).unwrap_or(i64::MAX);
        let mut total = 0;
        loop {
            let pruned = self.write(|c| {
                let tx = c.transaction()?;
                let ids: Vec<i64> = {
                    let mut stmt = tx.prepare_cached(
                        "SELECT id FROM (
                             SELECT i.id, i.sort_time, row_number() OVER (ORDER BY i.sort_time DESC, i.id DESC) AS rank
                             FROM items i JOIN feeds f ON f.id = i.feed_id WHERE f.url = ?1)
                         WHERE rank > ?2 OR sort_time < ?3 LIMIT 500",
                    )?;
                    let rows = stmt.query_map(params![feed_url, keep, cutoff], |r| r.get(0))?;
                    rows.collect::<rusqlite::Result<_>>()?
                };
                for id in &ids {
                    tx.execute(
                        "INSERT OR REPLACE INTO tombstones (feed_id, key, pruned)
                         SELECT feed_id, key, ?2 FROM items WHERE id = ?1",
                        params![id, unix(now)],
                    )?;
                    tx.execute("DELETE FROM items WHERE id = ?1", [id])?;
                }
                // A tombstone is needed only while the source may still list the item.
                tx.execute("DELETE FROM tombstones WHERE pruned < ?1", [unix(now) - 365 * 86_400])?;
                tx.commit()?;
                Ok(ids.len())
            })?;
            total += pruned;
            if pruned < 500 {
                break;
            }
        }
        if total > 0 {
            self.bump(feed_url);
        }
        Ok(total)
    }

    /// Feeds by the state of their last poll (for metrics).
    pub fn feed_states(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT CASE WHEN gone THEN 'gone' WHEN consecutive_failures > 0 THEN 'failing'
                             WHEN last_poll IS NULL THEN 'never_polled' WHEN last_status = 304 THEN 'not_modified'
                             ELSE 'ok' END AS state, count(*)
                 FROM feeds GROUP BY state ORDER BY state",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect()
        })
    }

    /// A cheap read that fails when the database is unreadable (for /healthz:
    /// `count(*)` would scan a million rows on every probe).
    pub fn health(&self) -> Result<(), StoreError> {
        self.read(|c| c.query_row("SELECT max(id) FROM items", [], |_| Ok(())))
    }

    /// Number of items stored, for all feeds.
    pub fn item_count(&self) -> Result<u64, StoreError> {
        self.read(|c| {
            c.query_row("SELECT count(*) FROM items", [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
        })
    }
}

/// Above this many feeds, an output walks the time index instead of each feed's.
const MANY_FEEDS: usize = 50;

/// The columns `stored_item` reads, in order (items `i` joined with feeds `f`).
// The full text, when extracted, stands in for the feed's content.
const ITEM_COLUMNS: &str = "i.uid, f.name, f.url, i.link, i.title, i.summary, coalesce(i.article_html, i.content), i.author,
    i.categories, i.sort_time, i.modified, i.canonical_link, i.enclosures, i.first_seen";

fn stored_item(r: &rusqlite::Row) -> rusqlite::Result<StoredItem> {
    stored_item_at(r, 0)
}

fn stored_item_at(r: &rusqlite::Row, at: usize) -> rusqlite::Result<StoredItem> {
    let categories: String = r.get(at + 8)?;
    let enclosures: String = r.get(at + 12)?;
    Ok(StoredItem {
        uid: r.get(at)?,
        feed_name: r.get(at + 1)?,
        feed_url: r.get(at + 2)?,
        link: r.get(at + 3)?,
        title: r.get(at + 4)?,
        summary: r.get(at + 5)?,
        content: r.get(at + 6)?,
        author: r.get(at + 7)?,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        date: from_unix(r.get(at + 9)?),
        modified: from_unix(r.get(at + 10)?),
        canonical_link: r.get(at + 11)?,
        enclosures: serde_json::from_str(&enclosures).unwrap_or_default(),
        first_seen: from_unix(r.get(at + 13)?),
    })
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

fn ensure_feed(c: &Connection, feed: &FeedRef, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO feeds (url, name, created) VALUES (?1, ?2, ?3)
         ON CONFLICT (url) DO UPDATE SET name = excluded.name WHERE name <> excluded.name",
        params![feed.url, feed.name, unix(now)],
    )?;
    c.query_row("SELECT id FROM feeds WHERE url = ?1", [feed.url], |r| {
        r.get(0)
    })
}

fn upsert_items(
    tx: &rusqlite::Transaction,
    feed_id: i64,
    feed_url: &str,
    refresh: &Refresh,
    now: i64,
) -> rusqlite::Result<StoreCounts> {
    let items = refresh.items;
    let mut counts = StoreCounts::default();
    let mut forget =
        tx.prepare_cached("DELETE FROM memberships WHERE output = ?1 AND item_id = ?2")?;
    let mut join =
        tx.prepare_cached("INSERT OR IGNORE INTO memberships (output, item_id) VALUES (?1, ?2)")?;
    let mut set_memberships = |item_id: i64, index: usize| -> rusqlite::Result<()> {
        let matched = refresh.matches.get(index).map(Vec::as_slice).unwrap_or(&[]);
        for (i, output) in refresh.filters.iter().enumerate() {
            if matched.contains(&i) {
                join.execute(params![output, item_id])?;
            } else {
                forget.execute(params![output, item_id])?;
            }
        }
        Ok(())
    };
    let mut tombstoned =
        tx.prepare_cached("SELECT 1 FROM tombstones WHERE feed_id = ?1 AND key = ?2")?;
    let mut existing = tx.prepare_cached(
        "SELECT id, content_hash, first_seen FROM items WHERE feed_id = ?1 AND key = ?2",
    )?;
    let mut insert = tx.prepare_cached(
        "INSERT INTO items (feed_id, key, uid, guid, link, title, summary, content, author,
             categories, published, updated, first_seen, modified, sort_time, content_hash,
             canonical_link, enclosures, extraction)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    let mut update = tx.prepare_cached(
        "UPDATE items SET guid = ?2, link = ?3, title = ?4, summary = ?5, content = ?6,
             author = ?7, categories = ?8, published = ?9, updated = ?10, modified = ?11,
             sort_time = ?12, content_hash = ?13, canonical_link = ?14, enclosures = ?15,
             extraction = CASE WHEN ?16 AND ?3 IS NOT NULL AND (extracted_link IS NULL OR extracted_link <> ?3)
                               THEN 'pending' ELSE extraction END
         WHERE id = ?1",
    )?;
    for (index, item) in items.iter().enumerate() {
        let categories = serde_json::to_string(&item.categories).unwrap_or_else(|_| "[]".into());
        let enclosures = serde_json::to_string(&item.enclosures).unwrap_or_else(|_| "[]".into());
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
                insert.execute(params![
                    feed_id,
                    item.key,
                    public_id(feed_url, &item.key),
                    item.guid,
                    item.link,
                    item.title,
                    item.summary,
                    item.content,
                    item.author,
                    categories,
                    item.published.map(unix),
                    item.updated.map(unix),
                    now,
                    sort_time(item.published, now),
                    item.content_hash,
                    item.canonical_link,
                    enclosures,
                    if refresh.full_text && item.link.is_some() {
                        "pending"
                    } else {
                        "off"
                    },
                ])?;
                set_memberships(tx.last_insert_rowid(), index)?;
                counts.new += 1;
            }
            Some((_, hash, _)) if hash == item.content_hash => counts.unchanged += 1,
            Some((id, _, first_seen)) => {
                update.execute(params![
                    id,
                    item.guid,
                    item.link,
                    item.title,
                    item.summary,
                    item.content,
                    item.author,
                    categories,
                    item.published.map(unix),
                    item.updated.map(unix),
                    now,
                    sort_time(item.published, first_seen),
                    item.content_hash,
                    item.canonical_link,
                    enclosures,
                    refresh.full_text,
                ])?;
                set_memberships(id, index)?;
                counts.updated += 1;
            }
        }
    }
    Ok(counts)
}

#[cfg(test)]
mod tests;
