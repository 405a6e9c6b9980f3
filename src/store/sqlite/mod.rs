//! The SQLite engine: one file, no server; the default.
//!
//! One writer connection behind a mutex (SQLite allows one writer anyway) and a
//! small pool of read-only connections for serving; WAL lets readers run while a
//! write is in progress. Methods are synchronous (async callers go through
//! [`super::blocking`], never calling these on a runtime worker), except a poll's own
//! writes (its items and bookkeeping, retention, extraction results): they
//! return a [`Pending`] that async code awaits. Those go through the
//! write queue (`writer`), where one thread commits what concurrent polls queued
//! in one transaction, a savepoint each. A refresh's writes happen in one
//! transaction or savepoint, so a failure leaves nothing half-written.
//!
//! - this file: the handle, connections, maintenance;
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

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, OpenFlags};

use super::{Counters, SLOTS, StoreError};
#[cfg(test)]
use super::{FeedRef, Refresh};

/// The SQLite engine. Cheap to clone.
#[derive(Clone)]
pub struct Sqlite {
    path: PathBuf,
    shared: Arc<Shared>,
    readers: Arc<Mutex<Vec<Connection>>>,
    /// Per-poll writes, committed in batches by the writer thread.
    queue: writer::Queue,
}

/// What the writer thread shares with every `Store` clone.
struct Shared {
    writer: Mutex<Connection>,
    counters: Arc<Counters>,
    /// Feed ids by configured URL, so a poll's writes need no upsert. Entries
    /// are added only after the transaction that created the row commits.
    ids: Mutex<std::collections::HashMap<String, i64>>,
    /// Stories' lookup keys (changed only under the `writer` lock).
    keys: Mutex<stories::KeyIndex>,
}

impl Shared {
    /// The writer connection. A panic while holding the lock leaves no open
    /// transaction (it rolls back on drop), so a poisoned mutex is still usable.
    fn connection(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records a change of a feed's items (or, with `output:NAME`, of an output's
    /// memberships), for [`super::Store::version_of`].
    fn bump(&self, key: &str) {
        self.counters.bump(key);
    }

    fn reserve_versions<'a>(&self, feeds: impl Iterator<Item = &'a str>) {
        self.counters.reserve(feeds);
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

impl Sqlite {
    /// Opens (creating if needed) the database and runs pending migrations.
    pub fn open(path: &Path, counters: Arc<Counters>) -> Result<Sqlite, StoreError> {
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
            counters,
            ids: Mutex::new(std::collections::HashMap::new()),
            keys: Mutex::new(stories::KeyIndex::default()),
        });
        let queue = writer::Queue::start(shared.clone()).map_err(|e| {
            open_err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_ERROR),
                Some(format!("cannot start the writer thread: {e}")),
            ))
        })?;
        Ok(Sqlite {
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

    /// The overall change counter (tests).
    #[cfg(test)]
    fn changes(&self) -> u64 {
        self.shared
            .counters
            .changes
            .load(std::sync::atomic::Ordering::Acquire)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
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

    /// Rows in each table, by name (for `tidings migrate`).
    pub fn table_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let keys = self.print_counts()?.1;
        self.read(|c| {
            crate::store::TABLES
                .iter()
                .map(|t| {
                    // Kept in memory here (see `stories`).
                    if *t == "dedup_keys" {
                        return Ok((t.to_string(), keys));
                    }
                    c.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| {
                        r.get::<_, i64>(0)
                    })
                    .map(|n| (t.to_string(), n as u64))
                })
                .collect()
        })
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
