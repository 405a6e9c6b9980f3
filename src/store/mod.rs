//! Storage: the one module that knows SQL, behind one [`Store`].
//!
//! The rest of the code talks to [`Store`], whose methods speak the model's
//! types; the engine behind it is chosen once, at [`Store::open`], from the
//! `database` setting: a file path is SQLite (the default: one file, no
//! server), a `postgres://` URL is PostgreSQL (several daemons sharing one
//! database). No engine's error type or SQL leaves this module.
//!
//! Methods are synchronous (async callers go through [`blocking`], never
//! calling them on a runtime worker), except a poll's own writes (its items and
//! bookkeeping, retention, extraction results): they return a [`Pending`] that
//! async code awaits.
//!
//! - this file: the facade, the types both engines share, change counters;
//! - `values`: how model values are stored (times, JSON lists, bodies);
//! - `sqlite`: the SQLite engine (its migrations, write queue, queries);
//! - `postgres`: the PostgreSQL engine (pool, claims and leases, notifications).
//!
//! Adding a table: a migration and the methods in each engine, then one
//! forwarding method here.

mod postgres;
mod sqlite;
mod stories;
pub(crate) mod values;

pub use postgres::{
    DEFAULT_LEASE_SECS, MAX_LEASE_SECS, for_libpq as postgres_for_libpq, is_url as is_postgres_url,
    redact as redact_url,
};

use std::collections::HashMap;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use tokio::sync::oneshot;

use crate::model::{FeedState, NewItem, StoreCounts, StoredItem, Validators};

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
    /// The PostgreSQL database could not be reached or opened.
    #[error("cannot open database {url}: {why}")]
    PgOpen {
        /// The URL, password hidden.
        url: String,
        /// Why.
        why: String,
    },
    /// A PostgreSQL migration failed (the database is left at the previous version).
    #[error("database migration {version} failed: {source}")]
    PgMigration {
        /// The migration that failed.
        version: usize,
        /// Why.
        source: tokio_postgres::Error,
    },
    /// Any other PostgreSQL error (unreachable server, constraint, ...).
    #[error("database error: {0}")]
    Postgres(#[from] tokio_postgres::Error),
    /// Another daemon claimed this feed after this daemon's lease ran out: this
    /// poll's writes are refused, so they cannot overwrite the newer poll's.
    #[error(
        "the lease on {url} ran out and another daemon claimed it; this poll's results are dropped"
    )]
    LeaseLost {
        /// The feed.
        url: String,
    },
    /// The operation does not apply to this engine.
    #[error("{0}")]
    Unsupported(String),
    /// A blocking task panicked or was cancelled.
    #[error("database task failed: {0}")]
    Task(String),
}

impl StoreError {
    /// The database cannot take writes right now (disk or size cap full,
    /// read-only file or file system): polling should pause, serving goes on.
    pub fn is_unwritable(&self) -> bool {
        if let StoreError::Postgres(e) = self {
            return postgres::is_unavailable(e);
        }
        if let StoreError::PgOpen { .. } = self {
            return true;
        }
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

impl StoreError {
    /// Another daemon took the feed over (see [`StoreError::LeaseLost`]).
    pub fn is_lease_lost(&self) -> bool {
        matches!(self, StoreError::LeaseLost { .. })
    }
}

/// Tables copied by `tidings migrate`, in an order that satisfies their references.
pub const TABLES: [&str; 8] = [
    "feeds",
    "items",
    "tombstones",
    "memberships",
    "output_state",
    "output_feeds",
    "dedup_signatures",
    "dedup_keys",
];

/// The answer to [`Store::claim`].
#[derive(Debug, Clone, PartialEq)]
pub enum Claim {
    /// This daemon polls the feed now; its writes carry the claim. The
    /// feed's poll state, read with the claim.
    Granted(Box<FeedState>),
    /// Another daemon holds a live lease on it, until about then.
    Busy {
        /// When the lease runs out (this machine's clock).
        until: DateTime<Utc>,
    },
    /// Another daemon polled (or claimed) it since this daemon read its state:
    /// here is the state now, to schedule from.
    Moved(Box<FeedState>),
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

/// Rows one [`Store::backfill_text`] call prepares at most.
pub const BACKFILL_CHUNK: usize = 500;

/// Items one [`Store::prune`] call deletes at most.
pub const PRUNE_CHUNK: usize = 500;

/// The reply to a queued write: `.await` it from async code, [`Pending::wait`]
/// from a thread that may block.
#[must_use = "a queued write's outcome must be awaited"]
pub struct Pending<U> {
    rx: oneshot::Receiver<Result<U, StoreError>>,
}

impl<U> Pending<U> {
    /// A write's reply channel: the engine answers on the sender.
    pub(crate) fn channel() -> (oneshot::Sender<Result<U, StoreError>>, Pending<U>) {
        let (tx, rx) = oneshot::channel();
        (tx, Pending { rx })
    }

    /// Blocks until the write has committed (or failed). Not for async code.
    pub fn wait(self) -> Result<U, StoreError> {
        self.rx.blocking_recv().unwrap_or_else(|_| Err(stopped()))
    }
}

impl<U> Future for Pending<U> {
    type Output = Result<U, StoreError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.rx)
            .poll(cx)
            .map(|r| r.unwrap_or_else(|_| Err(stopped())))
    }
}

fn stopped() -> StoreError {
    StoreError::Task("the database writer stopped".into())
}

/// Change counters that renderers cache on: one overall, one per feed (its
/// items) and per `output:NAME` (its memberships). Shared by every clone of a
/// [`Store`] and bumped by the engine after a write commits.
#[derive(Default)]
pub(crate) struct Counters {
    changes: AtomicU64,
    versions: Mutex<HashMap<String, u64>>,
}

impl Counters {
    fn new() -> Arc<Counters> {
        Arc::new(Counters {
            changes: AtomicU64::new(1),
            versions: Mutex::new(HashMap::new()),
        })
    }

    /// Records a change of a feed's items (or, with `output:NAME`, of an output's
    /// memberships), for [`Store::version_of`].
    pub(crate) fn bump(&self, key: &str) {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        match versions.get_mut(key) {
            Some(v) => *v += 1,
            None => {
                versions.insert(key.to_string(), 1);
            }
        }
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Everything may have changed (another daemon's writes while we were
    /// not listening): every counter moves.
    pub(crate) fn bump_all(&self) {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        for v in versions.values_mut() {
            *v += 1;
        }
        // Outputs are keyed `output:NAME` and may not be in the map yet.
        *versions.entry("output:*".to_string()).or_insert(0) += 1;
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// A change that is no one feed's (which feeds outputs draw on).
    pub(crate) fn touch(&self) {
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// Makes room for the counters of `feeds` up front, at start-up, rather
    /// than one small allocation at a time between polls.
    pub(crate) fn reserve<'a>(&self, feeds: impl Iterator<Item = &'a str>) {
        let mut versions = self.versions.lock().unwrap_or_else(|p| p.into_inner());
        for url in feeds {
            if !versions.contains_key(url) {
                versions.insert(url.to_string(), 0);
            }
        }
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

/// Handle to the database. Cheap to clone; share it between tasks.
#[derive(Clone)]
pub struct Store {
    engine: Engine,
    counters: Arc<Counters>,
}

#[derive(Clone)]
enum Engine {
    Sqlite(sqlite::Sqlite),
    Postgres(postgres::Postgres),
}

/// Forwards a call to the engine.
macro_rules! engine {
    ($self:ident . $method:ident ( $($arg:expr),* )) => {
        match &$self.engine {
            Engine::Sqlite(e) => e.$method($($arg),*),
            Engine::Postgres(e) => e.$method($($arg),*),
        }
    };
}

impl Store {
    /// Opens (creating if needed) the database and runs pending migrations:
    /// a `postgres://` or `postgresql://` URL is a PostgreSQL database, anything
    /// else an SQLite file.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let counters = Counters::new();
        let engine = match path.to_str().filter(|p| postgres::is_url(p)) {
            Some(url) => Engine::Postgres(postgres::Postgres::open(url, counters.clone())?),
            None => Engine::Sqlite(sqlite::Sqlite::open(path, counters.clone())?),
        };
        Ok(Store { engine, counters })
    }

    /// Whether several daemons may share this database (PostgreSQL).
    pub fn is_shared(&self) -> bool {
        matches!(self.engine, Engine::Postgres(_))
    }

    /// The database: the file, or the URL without its password.
    pub fn location(&self) -> String {
        match &self.engine {
            Engine::Sqlite(e) => e.path().display().to_string(),
            Engine::Postgres(e) => e.url().to_string(),
        }
    }

    /// How long a claim lasts before another daemon may take the feed over
    /// (`[daemon] lease_secs`; one daemon on SQLite needs none).
    pub fn set_lease(&self, secs: u64) {
        if let Engine::Postgres(e) = &self.engine {
            e.set_lease(secs);
        }
    }

    /// Claims a feed before polling it. On SQLite (one daemon) always granted;
    /// on PostgreSQL granted unless another daemon holds it or polled it since
    /// this one read its state.
    pub fn claim(&self, url: &str) -> Result<Claim, StoreError> {
        match &self.engine {
            Engine::Sqlite(e) => Ok(Claim::Granted(Box::new(e.poll_state(url)?))),
            Engine::Postgres(e) => e.claim(url),
        }
    }

    /// Ends this daemon's claim on a feed after its poll.
    pub fn release(&self, url: &str) -> Pending<()> {
        match &self.engine {
            Engine::Sqlite(_) => {
                let (tx, pending) = Pending::channel();
                let _ = tx.send(Ok(()));
                pending
            }
            Engine::Postgres(e) => e.release(url),
        }
    }

    /// Copies the SQLite database at `from` (its schema brought up to date
    /// first) into this PostgreSQL database: feeds with their state, items,
    /// tombstones, memberships, outputs' state. Rows keep their ids and are
    /// upserted, so copying again duplicates nothing; a target that already
    /// holds feeds is refused unless `force`. Returns the rows copied per table.
    pub fn copy_from_sqlite(
        &self,
        from: &Path,
        force: bool,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let Engine::Postgres(pg) = &self.engine else {
            return Err(StoreError::Unsupported(
                "the target of a migration must be a PostgreSQL database (postgres://...)".into(),
            ));
        };
        if !from.is_file() {
            return Err(StoreError::Unsupported(format!(
                "{} is not an SQLite database file",
                from.display()
            )));
        }
        if !force && !pg.is_empty()? {
            return Err(StoreError::Unsupported(format!(
                "{} already holds feeds; pass --force to copy into it anyway (rows with the same ids are overwritten, nothing is duplicated)",
                pg.url()
            )));
        }
        drop(sqlite::Sqlite::open(from, Counters::new())?);
        pg.import_sqlite(from)
    }

    /// Rows in each of [`TABLES`] (for `tidings migrate`).
    pub fn table_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        engine!(self.table_counts())
    }

    /// Caps the database at `mb` megabytes (SQLite `max_page_count`); writes past
    /// it fail like a full disk. `None` lifts the cap.
    pub fn set_size_limit(&self, mb: Option<u64>) -> Result<(), StoreError> {
        engine!(self.set_size_limit(mb))
    }

    /// A counter bumped whenever stored items change; renderers cache on it.
    pub fn changes(&self) -> u64 {
        self.counters.changes.load(Ordering::Acquire)
    }

    /// A number that changes when the items of `feed_urls` or the memberships of
    /// `output` change: lets a renderer skip re-rendering an output whose own
    /// items did not change while other feeds did.
    pub fn version_of(&self, output: &str, feed_urls: &[String]) -> u64 {
        let versions = self
            .counters
            .versions
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let of = |k: &str| versions.get(k).copied().unwrap_or(0);
        feed_urls.iter().map(|u| of(u)).sum::<u64>()
            + of(&format!("output:{output}"))
            + of("output:*")
    }

    /// Makes the database's files complete on their own (SQLite folds its
    /// write-ahead log into the file), at shutdown.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        engine!(self.checkpoint())
    }

    /// A consistent copy of the database at `dest` (VACUUM INTO), safe while the
    /// daemon runs: it reads one snapshot and never blocks the writer for long.
    pub fn backup(&self, dest: &Path) -> Result<(), StoreError> {
        match &self.engine {
            Engine::Sqlite(e) => e.backup(dest),
            Engine::Postgres(_) => Err(StoreError::Unsupported(
                "a PostgreSQL database is backed up with pg_dump".into(),
            )),
        }
    }

    /// A cheap read that fails when the database is unreadable (for /healthz:
    /// `count(*)` would scan a million rows on every probe).
    pub fn health(&self) -> Result<(), StoreError> {
        engine!(self.health())
    }

    /// Number of items stored, for all feeds.
    pub fn item_count(&self) -> Result<u64, StoreError> {
        engine!(self.item_count())
    }

    /// Registers many feeds (or updates their names) in one transaction: at
    /// start-up with 10,000 feeds, one commit instead of 10,000.
    pub fn register_feeds(&self, feeds: &[FeedRef], now: DateTime<Utc>) -> Result<(), StoreError> {
        engine!(self.register_feeds(feeds, now))
    }

    /// The feed's bookkeeping; default for a feed never polled.
    pub fn feed_state(&self, url: &str) -> Result<FeedState, StoreError> {
        engine!(self.feed_state(url))
    }

    /// [`Store::feed_state`] without counting the feed's items (`items` is 0):
    /// what a poll needs (validators, where the feed moved), on every poll.
    pub fn poll_state(&self, url: &str) -> Result<FeedState, StoreError> {
        engine!(self.poll_state(url))
    }

    /// The content hash of the `newest` items stored for the feed at `url`
    /// (by the date shown), by key: what a poll compares a fetched document
    /// with, so that only new and changed entries are prepared
    /// (`normalize::changed_entries`). Bounded by the document, not the
    /// feed's history.
    pub fn stored_hashes(
        &self,
        url: &str,
        newest: usize,
    ) -> Result<HashMap<String, String>, StoreError> {
        engine!(self.stored_hashes(url, newest))
    }

    /// [`Store::poll_state`] of every registered feed, by URL, in one query: the
    /// scheduler's start-up plan for 10,000 feeds.
    pub fn poll_states(&self) -> Result<HashMap<String, FeedState>, StoreError> {
        engine!(self.poll_states())
    }

    /// Stores a fetched document's items and the feed's bookkeeping, all at
    /// once: new keys are inserted, changed ones updated in place.
    pub fn record_refresh(
        &self,
        feed: &FeedRef,
        refresh: Refresh,
        now: DateTime<Utc>,
    ) -> Pending<StoreCounts> {
        engine!(self.record_refresh(feed, refresh, now))
    }

    /// Records a poll that found nothing new (304, or an unchanged ETag).
    /// Also records where the feed moved permanently and the earliest next poll.
    pub fn record_not_modified(
        &self,
        feed: &FeedRef,
        status: u16,
        moved_to: Option<String>,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Pending<()> {
        engine!(self.record_not_modified(feed, status, moved_to, not_before, now))
    }

    /// Records a failed poll; stored items are untouched. Returns the feed's
    /// consecutive failures.
    pub fn record_failure(
        &self,
        feed: &FeedRef,
        status: Option<u16>,
        error: String,
        now: DateTime<Utc>,
    ) -> Pending<u32> {
        engine!(self.record_failure(feed, status, error, now))
    }

    /// Records a 429/503 with Retry-After: not a failure; no poll before `until`.
    pub fn record_deferred(
        &self,
        feed: &FeedRef,
        status: u16,
        message: String,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Pending<()> {
        engine!(self.record_deferred(feed, status, message, until, now))
    }

    /// Records a 410 Gone: the feed is not polled again (until its URL changes in
    /// the config). Its items stay.
    pub fn record_gone(&self, feed: &FeedRef, now: DateTime<Utc>) -> Pending<()> {
        engine!(self.record_gone(feed, now))
    }

    /// Records which feeds each output draws on (replacing what was there), in
    /// one transaction. Called when the config loads or reloads.
    pub fn set_output_feeds(&self, outputs: &[(String, Arc<[String]>)]) -> Result<(), StoreError> {
        engine!(self.set_output_feeds(outputs))
    }

    /// The newest `limit` items of an output (its feeds as set by
    /// [`Store::set_output_feeds`]; with `filtered`, only its stored members).
    /// `feeds` (how many feeds it draws on) picks the plan.
    pub fn output_items(
        &self,
        output: &str,
        filtered: bool,
        feeds: usize,
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        engine!(self.output_items(output, filtered, feeds, limit))
    }

    /// Items of a feed waiting for their article page, newest first (at most `limit`).
    pub fn pending_extractions(
        &self,
        feed_url: &str,
        limit: usize,
    ) -> Result<Vec<(i64, StoredItem)>, StoreError> {
        engine!(self.pending_extractions(feed_url, limit))
    }

    /// Records the outcome of an item's extraction: the article (when it is
    /// used), what happened, and the item's filtered-output memberships
    /// re-evaluated on the full text, together.
    pub fn record_extraction(&self, feed: &FeedRef, e: Extraction) -> Pending<()> {
        engine!(self.record_extraction(feed, e))
    }

    /// What happened to an item's extraction (`off`, `pending`, `ok`, or a reason).
    pub fn extraction_of(&self, uid: &str) -> Result<Option<String>, StoreError> {
        engine!(self.extraction_of(uid))
    }

    /// An item by public id (`urn:tidings:…` or the bare hex), link or canonical link.
    pub fn find_item(&self, query: &str) -> Result<Option<StoredItem>, StoreError> {
        engine!(self.find_item(query))
    }

    /// The newest `limit` items of the given feeds, newest first (outputs use
    /// [`Store::output_items`]; this is for ad-hoc reads of a few feeds).
    pub fn items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        engine!(self.items_of(feed_urls, limit))
    }

    /// Deletes up to [`PRUNE_CHUNK`] of `feed`'s items beyond its retention
    /// limits (the newest are kept). Call again while it returns
    /// `PRUNE_CHUNK`. Each pruned item leaves a tombstone (its key) so that it
    /// is not imported again while the source still lists it.
    pub fn prune(
        &self,
        feed: &FeedRef,
        keep_items: Option<u32>,
        keep_days: Option<u32>,
        now: DateTime<Utc>,
    ) -> Pending<usize> {
        engine!(self.prune(feed, keep_items, keep_days, now))
    }

    /// Prepares up to [`BACKFILL_CHUNK`] rows stored before bodies were
    /// prepared at ingest, after row id `after`. Returns the last row id looked
    /// at and how many rows were done; `None` when no such row is left.
    pub fn backfill_text(&self, after: i64) -> Result<Option<(i64, usize)>, StoreError> {
        engine!(self.backfill_text(after))
    }

    /// The fingerprint of the rules an output's memberships were computed with.
    pub fn output_fingerprint(&self, output: &str) -> Result<Option<String>, StoreError> {
        engine!(self.output_fingerprint(output))
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
        engine!(self.reevaluate(output, feed_urls, fingerprint, matches))
    }

    /// Whether an item (by public id) is stored as a member of `output`.
    pub fn is_member(&self, output: &str, uid: &str) -> Result<bool, StoreError> {
        engine!(self.is_member(output, uid))
    }

    /// The newest `limit` items of the feeds at `feed_urls` (configured URLs),
    /// newest first in the order outputs serve them, whatever outputs they are
    /// in: what an output over these feeds draws on (`tidings preview`).
    pub fn newest_items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        engine!(self.newest_items_of(feed_urls, limit))
    }

    /// Every copy of `stories` among the items of `output`'s feeds, oldest
    /// first (publishing groups them: one entry per story).
    pub fn story_copies(
        &self,
        output: &str,
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        engine!(self.story_copies(output, stories))
    }

    /// Every copy of `stories` among the items of the feeds at `feed_urls`,
    /// oldest first (what an output over those feeds would show of them).
    pub fn story_copies_of_feeds(
        &self,
        feed_urls: &[String],
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        engine!(self.story_copies_of_feeds(feed_urls, stories))
    }

    /// Why an item (by public id) is in the story it is in: the judge's words
    /// when it joined another item's story (`None` for a story's first item).
    pub fn story_reason(&self, uid: &str) -> Result<Option<String>, StoreError> {
        engine!(self.story_reason(uid))
    }

    /// Forgets the prints of items dated before the day (UTC) of `cutoff` (unix
    /// seconds): no new item can be compared with them any more. By day, so
    /// that the index behind it takes appends, not scattered inserts. Up to
    /// 500 at a time; returns how many (call again while it returns 500).
    pub fn expire_prints(&self, cutoff: i64) -> Result<usize, StoreError> {
        engine!(self.expire_prints(cutoff))
    }

    /// Items whose print is kept, and lookup keys, for the figures in the README.
    pub fn print_counts(&self) -> Result<(u64, u64), StoreError> {
        engine!(self.print_counts())
    }
}
