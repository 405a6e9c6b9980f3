//! SQLite storage. The only module that knows SQL.
//!
//! One writer connection behind a mutex (SQLite allows one writer anyway) and a
//! small pool of read-only connections for serving; WAL lets readers run while a
//! write is in progress. Methods are synchronous (async callers go through
//! [`blocking`], never calling these on a runtime worker), except a poll's own
//! writes (its items and bookkeeping, retention, extraction results): they
//! return a [`Pending`] that async code awaits. Those go through the
//! write queue (`writer`), where one thread commits what concurrent polls queued
//! in one transaction, a savepoint each. A refresh's writes happen in one
//! transaction or savepoint, so a failure leaves nothing half-written.
//!
//! - this file: the handle, connections, change counters, maintenance;
//! - `feeds`: per-feed bookkeeping (validators, poll results, states);
//! - `items`: storing a document's items, reading outputs, full text, retention;
//! - `outputs`: filtered outputs' stored memberships and their re-evaluation;
//! - `stories`: which items are copies of one story (signatures, lookup keys);
//! - `schema`: the embedded, ordered migrations;
//! - `writer`: the write queue and its thread.

mod feeds;
mod items;
mod outputs;
mod schema;
mod stories;
mod writer;

pub use items::{BACKFILL_CHUNK, PRUNE_CHUNK};
pub use writer::Pending;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::model::{NewItem, Validators};

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

/// The outcome of one item's article extraction, to store. Owned: it travels
/// to the writer thread.
#[derive(Debug)]
pub struct Extraction {
    /// The item (its row id).
    pub item_id: i64,
    /// The link the article was fetched from.
    pub link: String,
    /// The article (sanitised HTML and its text), when it is used.
    pub article: Option<crate::model::HtmlText>,
    /// What happened: `ok`, or why the article is not used.
    pub outcome: String,
    /// Filtered outputs' names and which of them match, re-evaluated on the
    /// full text (as in [`Refresh`]).
    pub filters: Vec<String>,
    /// Indexes into `filters` of the outputs the item is in.
    pub matched: Vec<usize>,
    /// The print of the item's text with the article in it (its story stays).
    pub print: Option<crate::model::StoryPrint>,
}

/// What a successful fetch + parse brings to store. Owned: it travels to the
/// writer thread.
#[derive(Debug)]
pub struct Refresh {
    /// HTTP status of the fetch.
    pub status: u16,
    /// Validators to send next time.
    pub validators: Validators,
    /// Document title.
    pub title: Option<String>,
    /// Document's site link.
    pub site_link: Option<String>,
    /// The normalised items, keys unique.
    pub items: Vec<NewItem>,
    /// Filtered outputs that draw on this feed: their membership of each new or
    /// changed item is (re)written with it.
    pub filters: Vec<String>,
    /// Per item (parallel to `items`): indices into `filters` whose rules match.
    pub matches: Vec<Vec<usize>>,
    /// Where the feed moved permanently (301/308), if it did.
    pub moved_to: Option<String>,
    /// No poll before this time (cache headers, `<ttl>`).
    pub not_before: Option<DateTime<Utc>>,
    /// The feed wants full text: new items (and items whose link changed) are
    /// marked for extraction.
    pub full_text: bool,
    /// How far back (seconds) a new item is compared with stored ones to find
    /// its story (`dedup_window_hours`).
    pub dedup_window_secs: i64,
}

/// Handle to the database. Cheap to clone; share it between tasks.
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    shared: Arc<Shared>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// Per-poll writes, committed in batches by the writer thread.
    queue: writer::Queue,
}

/// What the writer thread shares with every `Store` clone.
struct Shared {
    writer: Mutex<Connection>,
    changes: AtomicU64,
    versions: Mutex<std::collections::HashMap<String, u64>>,
    /// Feed ids by configured URL, so a poll's writes need no upsert. Entries
    /// are added only after the transaction that created the row commits.
    ids: Mutex<std::collections::HashMap<String, i64>>,
}

impl Shared {
    /// The writer connection. A panic while holding the lock leaves no open
    /// transaction (it rolls back on drop), so a poisoned mutex is still usable.
    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a change of a feed's items (or, with `output:NAME`, of an output's
    /// memberships), for [`Store::version_of`].
    fn bump(&self, key: &str) {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        match versions.get_mut(key) {
            Some(v) => *v += 1,
            None => {
                versions.insert(key.to_string(), 1);
            }
        }
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Makes room for the counters of `feeds` up front, at start-up, rather
    /// than one small allocation at a time between polls.
    fn reserve_versions<'a>(&self, feeds: impl Iterator<Item = &'a str>) {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        for url in feeds {
            if !versions.contains_key(url) {
                versions.insert(url.to_string(), 0);
            }
        }
    }

    fn cached_id(&self, url: &str) -> Option<i64> {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(url)
            .copied()
    }

    fn cache_ids(&self, ids: impl IntoIterator<Item = (String, i64)>) {
        self.ids
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(ids);
    }
}

/// Store calls that run at once (see [`blocking`]); also the read connections
/// kept open, so a read never has to open its own.
pub const SLOTS: usize = 8;

static RUNNING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(SLOTS);

/// Runs a store call on the blocking pool; re-raises its panic, if any.
///
/// At most [`SLOTS`] run at once; the others wait here, as tasks rather than
/// threads. A cold poll starts one read per feed (its poll state) for
/// `concurrency` feeds at a time: unbounded, that kept ~60 blocking threads
/// busy, each read past the 8 pooled connections opened and dropped one of its
/// own, and a 10,000-feed poll peaked at 106 MB instead of 93. The slot moves
/// into the call, so a caller that stops waiting (a timeout) frees it only
/// when the call has finished.
pub async fn blocking<T, F>(f: F) -> Result<T, StoreError>
where
    F: FnOnce() -> Result<T, StoreError> + Send + 'static,
    T: Send + 'static,
{
    let slot = RUNNING
        .acquire()
        .await
        .expect("the semaphore is never closed");
    let call = move || {
        let _slot = slot;
        f()
    };
    match tokio::task::spawn_blocking(call).await {
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
        let shared = Arc::new(Shared {
            writer: Mutex::new(writer),
            changes: AtomicU64::new(1),
            versions: Mutex::new(std::collections::HashMap::new()),
            ids: Mutex::new(std::collections::HashMap::new()),
        });
        let queue = writer::Queue::start(shared.clone()).map_err(|e| {
            open_err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!("cannot start the writer thread: {e}")),
            ))
        })?;
        Ok(Store {
            path: path.to_path_buf(),
            shared,
            readers: Arc::new(Mutex::new(Vec::new())),
            queue,
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
        self.shared.changes.load(Ordering::Acquire)
    }

    fn bump(&self, key: &str) {
        self.shared.bump(key);
    }

    /// A number that changes when the items of `feed_urls` or the memberships of
    /// `output` change (in this process): lets a renderer skip re-rendering an
    /// output whose own items did not change while other feeds did.
    pub fn version_of(&self, output: &str, feed_urls: &[String]) -> u64 {
        let versions = self
            .shared
            .versions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let of = |k: &str| versions.get(k).copied().unwrap_or(0);
        feed_urls.iter().map(|u| of(u)).sum::<u64>() + of(&format!("output:{output}"))
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        Ok(f(&mut self.shared.connection())?)
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
        if pool.len() < SLOTS {
            pool.push(conn);
        }
        Ok(result?)
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

/// Settings of the writer connection.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // A cold 10,000-feed poll spent 42% of its CPU in the kernel on the writer
    // thread: re-reading index pages its 2 MB cache had dropped, and copying
    // the WAL into the database every 1,000 pages. An 8 MB cache and a
    // checkpoint every 10,000 pages (a WAL of up to ~40 MB, cut back to 64 MB
    // on disk when larger) took that poll from 18.7 s to 13.1 s for 7 MB more RSS.
    conn.pragma_update(None, "cache_size", -8192)?;
    // Each queued write runs in its own savepoint, and SQLite copies every page
    // a savepoint touches to a sub-journal first: in memory, not a temp file
    // (story keys touch many pages; the writes were 15% of a cold poll's CPU).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // With STAT4 compiled in, SQLite re-prepares a statement whenever a value
    // bound to an indexed comparison changes; the query planner stability
    // guarantee plans once (there are no statistics to use anyway). A story
    // lookup was re-parsed for every new item: 30% of a cold poll's CPU.
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )?;
    conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
    conn.pragma_update(None, "journal_size_limit", 64 << 20)?;
    Ok(())
}

#[cfg(test)]
mod tests;
