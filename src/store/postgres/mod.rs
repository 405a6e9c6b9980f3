//! The PostgreSQL engine: several daemons sharing one database.
//!
//! The callers' methods stay synchronous (see [`crate::store`]): each runs its
//! queries as a task on a small tokio runtime of this engine's own and waits
//! for the answer; a poll's writes return a [`Pending`] answered by that task.
//! Waiting on a channel rather than `block_on` works from any thread, the
//! blocking pool's and a test's runtime worker alike.
//!
//! Connections: a pool of at most [`POOL`] clients (statements prepared once
//! per connection), plus one dedicated connection that LISTENs for other
//! daemons' writes and bumps the change counters the renderers cache on
//! (everything is bumped after it reconnects: notifications are not replayed).
//!
//! Several daemons poll the same feeds: before polling, a daemon claims the
//! feed ([`Postgres::claim`]): a lease in the database's clock and a new epoch
//! (fencing token); every write of that poll is applied only while the epoch is
//! still the one it claimed, and renews the lease.
//!
//! - this file: the handle, runtime, pool, listener, claims, maintenance;
//! - `feeds`: per-feed bookkeeping;
//! - `items`: items, outputs, memberships, retention;
//! - `stories`: which items are copies of one story (and the locks that
//!   keep two daemons' judgments of one story apart);
//! - `schema`: the embedded migrations.

mod feeds;
mod import;
mod items;
mod schema;
mod stories;

use std::collections::HashMap;
use std::future::Future;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{AsyncMessage, Client, Config, Socket, Statement};

use super::{Claim, Counters, Pending, StoreError};

/// Connections in the pool, at most: the store calls that run at once
/// ([`super::SLOTS`]) plus a poll's writes, which run beside them.
const POOL: usize = 16;

/// Channel the daemons notify each other's writes on.
const CHANNEL: &str = "tidings_changes";

/// The payload of a notification is at most 8000 bytes: a longer key is sent
/// as this, meaning "anything may have changed".
const EVERYTHING: &str = "*";

/// Default lease (seconds) until the daemon sets its configured one.
pub const DEFAULT_LEASE_SECS: u64 = 120;

/// The longest lease (`[daemon] lease_secs`): a day. A lease stored as
/// longer (a daemon of another version, a hand edit) counts as this long.
pub const MAX_LEASE_SECS: u64 = 86_400;

/// Whether a `database` setting names a PostgreSQL database.
pub fn is_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// The URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

/// What a libpq tool such as pg_dump needs to reach the database at `url`
/// without a password on its command line (readable by every local user in
/// `/proc/PID/cmdline`): the URL with any password removed (user info and a
/// `password=` parameter), and the password to hand it in `PGPASSWORD` —
/// the URL's, else the one [`Postgres::open`] would use from the environment.
pub fn for_libpq(url: &str) -> Result<(String, Option<String>), String> {
    let config = Config::from_str(url).map_err(|e| format!("{}: {e}", redact(url)))?;
    let password = match config.get_password() {
        Some(p) => Some(String::from_utf8(p.to_vec()).map_err(|_| "the password is not UTF-8")?),
        None => password_from_environment(),
    };
    let mut u = url::Url::parse(url).map_err(|e| format!("{}: {e}", redact(url)))?;
    if u.password().is_some() && u.set_password(None).is_err() {
        return Err(format!("{}: cannot remove the password", redact(url)));
    }
    if u.query_pairs().any(|(k, _)| k == "password") {
        let kept: Vec<(String, String)> = u
            .query_pairs()
            .filter(|(k, _)| k != "password")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            u.set_query(None);
        } else {
            u.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Ok((u.to_string(), password))
}

/// The PostgreSQL engine. Cheap to clone.
#[derive(Clone)]
pub struct Postgres {
    inner: Arc<Inner>,
}

pub(super) struct Inner {
    runtime: Runtime,
    config: Config,
    tls: Tls,
    shown: String,
    pool: Mutex<Vec<Pooled>>,
    gate: Arc<Semaphore>,
    counters: Arc<Counters>,
    /// What this daemon last saw of each feed's state, (lease epoch, last
    /// poll): it scheduled the feed from that, so a claim succeeds only if
    /// nobody claimed or polled the feed since.
    seen: Mutex<HashMap<String, Seen>>,
    /// The epochs of the claims this daemon holds: its writes carry them.
    held: Mutex<HashMap<String, i64>>,
    /// This daemon, in `lease_owner` and notifications.
    me: String,
    lease_secs: AtomicU64,
}

/// A feed's (lease epoch, last poll in unix seconds) as a daemon saw it.
pub(super) type Seen = (i64, Option<i64>);

/// The engine's runtime, shut down without waiting when the last handle goes
/// (dropping a runtime may not block on a runtime thread).
struct Runtime(Option<tokio::runtime::Runtime>);

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

impl Runtime {
    fn handle(&self) -> &tokio::runtime::Handle {
        self.0
            .as_ref()
            .expect("the runtime lives as long as the store")
            .handle()
    }
}

#[derive(Clone)]
enum Tls {
    Off,
    Rustls(tokio_postgres_rustls::MakeRustlsConnect),
}

/// A pooled connection and the statements prepared on it.
struct Pooled {
    client: Client,
    statements: HashMap<&'static str, Statement>,
}

/// A connection taken from the pool; goes back when dropped (unless broken).
pub(super) struct Conn {
    pooled: Option<Pooled>,
    inner: Arc<Inner>,
    _permit: OwnedSemaphorePermit,
}

impl Conn {
    fn pooled(&mut self) -> &mut Pooled {
        self.pooled.as_mut().expect("present until dropped")
    }

    /// The client, for a transaction.
    pub(super) fn client(&mut self) -> &mut Client {
        &mut self.pooled().client
    }

    /// `sql` prepared on this connection (once).
    pub(super) async fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        let p = self.pooled();
        if let Some(s) = p.statements.get(sql) {
            return Ok(s.clone());
        }
        let s = p.client.prepare(sql).await?;
        p.statements.insert(sql, s.clone());
        Ok(s)
    }

    /// Several statements prepared (once).
    pub(super) async fn statements<const N: usize>(
        &mut self,
        sql: [&'static str; N],
    ) -> Result<[Statement; N], StoreError> {
        let mut out = Vec::with_capacity(N);
        for s in sql {
            out.push(self.statement(s).await?);
        }
        Ok(out
            .try_into()
            .unwrap_or_else(|_| unreachable!("N statements")))
    }
}

impl Drop for Conn {
    fn drop(&mut self) {
        if let Some(p) = self.pooled.take()
            && !p.client.is_closed()
        {
            self.inner
                .pool
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(p);
        }
    }
}

impl Inner {
    async fn connect(&self) -> Result<Client, StoreError> {
        let client = match &self.tls {
            Tls::Off => {
                let (client, conn) = self.config.connect(tokio_postgres::NoTls).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                client
            }
            Tls::Rustls(tls) => {
                let (client, conn) = self.config.connect(tls.clone()).await?;
                tokio::spawn(async move {
                    let _ = conn.await;
                });
                client
            }
        };
        Ok(client)
    }

    /// A connection from the pool (a new one when none is idle), at most
    /// [`POOL`] at once.
    async fn conn(self: &Arc<Self>) -> Result<Conn, StoreError> {
        let permit = self
            .gate
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Task("the database pool is closed".into()))?;
        let idle = {
            let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
            pool.retain(|p| !p.client.is_closed());
            pool.pop()
        };
        let pooled = match idle {
            Some(p) => p,
            None => Pooled {
                client: self.connect().await?,
                statements: HashMap::new(),
            },
        };
        Ok(Conn {
            pooled: Some(pooled),
            inner: self.clone(),
            _permit: permit,
        })
    }

    fn lease_secs(&self) -> f64 {
        self.lease_secs.load(Ordering::Relaxed) as f64
    }

    fn held(&self, url: &str) -> Option<i64> {
        self.held
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(url)
            .copied()
    }

    fn see(&self, url: &str, seen: Seen) {
        self.seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(url.to_string(), seen);
    }
}

/// Whether an error means the server cannot be reached or cannot take writes
/// now (polling should pause), rather than a problem with one write.
pub(super) fn is_unavailable(e: &tokio_postgres::Error) -> bool {
    use tokio_postgres::error::SqlState;
    let Some(state) = e.code() else {
        // No SQLSTATE: the connection itself failed (refused, reset, closed,
        // timed out), or a value could not be encoded (a bug, not an outage).
        return e.is_closed()
            || std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
            || e.to_string().contains("connect");
    };
    let code = state.code();
    code.starts_with("08") // connection exception
        || code.starts_with("53") // insufficient resources: disk full, out of memory, too many connections
        || code.starts_with("57P") // server shutting down, cannot connect now
        || *state == SqlState::READ_ONLY_SQL_TRANSACTION
}

/// Text as PostgreSQL takes it: it refuses NUL characters, which SQLite (and
/// a hostile feed) allow; they become U+FFFD.
pub(super) fn clean(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains('\0') {
        std::borrow::Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// [`clean`] for an optional column.
pub(super) fn clean_opt(s: &Option<String>) -> Option<std::borrow::Cow<'_, str>> {
    s.as_deref().map(clean)
}

impl Postgres {
    /// Connects to the database at `url`, runs pending migrations and starts
    /// listening for other daemons' writes.
    pub fn open(url: &str, counters: Arc<Counters>) -> Result<Postgres, StoreError> {
        let shown = redact(url);
        let open_err = |why: String| StoreError::PgOpen {
            url: shown.clone(),
            why,
        };
        let mut config = Config::from_str(url).map_err(|e| open_err(e.to_string()))?;
        if config.get_password().is_none()
            && let Some(password) = password_from_environment()
        {
            config.password(password);
        }
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(5));
        }
        config.application_name("tidings");
        let tls = match config.get_ssl_mode() {
            tokio_postgres::config::SslMode::Disable => Tls::Off,
            _ => Tls::Rustls(tls_connector().map_err(open_err)?),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tidings-postgres")
            .enable_all()
            .build()
            .map_err(|e| open_err(format!("cannot start the database runtime: {e}")))?;
        let me = format!("{}:{}:{:08x}", hostname(), std::process::id(), rand_u32());
        let inner = Arc::new(Inner {
            runtime: Runtime(Some(runtime)),
            config,
            tls,
            shown: shown.clone(),
            pool: Mutex::new(Vec::new()),
            gate: Arc::new(Semaphore::new(POOL)),
            counters,
            seen: Mutex::new(HashMap::new()),
            held: Mutex::new(HashMap::new()),
            me,
            lease_secs: AtomicU64::new(DEFAULT_LEASE_SECS),
        });
        let pg = Postgres { inner };
        pg.run(|inner| async move {
            let mut conn = inner.conn().await?;
            schema::migrate(conn.client()).await
        })
        .map_err(|e| match e {
            StoreError::Postgres(e) => open_err(e.to_string()),
            other => other,
        })?;
        let listener = pg.inner.clone();
        pg.inner
            .runtime
            .handle()
            .spawn(listen(Arc::downgrade(&listener)));
        Ok(pg)
    }

    /// Runs `f`'s future on the engine's runtime and waits for it (from any
    /// thread: it blocks this one on a channel, never nests runtimes).
    fn run<T, F, Fut>(&self, f: F) -> Result<T, StoreError>
    where
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let fut = f(self.inner.clone());
        self.inner.runtime.handle().spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv()
            .unwrap_or_else(|_| Err(StoreError::Task("a database task was dropped".into())))
    }

    /// Runs `f`'s future on the engine's runtime; the caller awaits the reply.
    fn pending<T, F, Fut>(&self, f: F) -> Pending<T>
    where
        F: FnOnce(Arc<Inner>) -> Fut,
        Fut: Future<Output = Result<T, StoreError>> + Send + 'static,
        T: Send + 'static,
    {
        let (tx, pending) = Pending::channel();
        let fut = f(self.inner.clone());
        self.inner.runtime.handle().spawn(async move {
            let _ = tx.send(fut.await);
        });
        pending
    }

    /// The database, password hidden.
    pub fn url(&self) -> &str {
        &self.inner.shown
    }

    /// How long a claim lasts (`[daemon] lease_secs`).
    pub fn set_lease(&self, secs: u64) {
        self.inner
            .lease_secs
            .store(secs.clamp(1, MAX_LEASE_SECS), Ordering::Relaxed);
    }

    /// Claims `url` for a poll: granted when no other daemon holds a live
    /// lease on it and nobody claimed or polled it since this daemon last saw
    /// its state (its epoch and last poll): the due time was computed from
    /// that state, and another daemon's poll of it covers it.
    pub fn claim(&self, url: &str) -> Result<Claim, StoreError> {
        let url = url.to_string();
        self.run(move |inner| async move {
            let seen = inner
                .seen
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get(&url)
                .copied();
            let mut conn = inner.conn().await?;
            let claim = conn
                .statement(
                    "WITH due AS MATERIALIZED (
                         SELECT id FROM feeds
                          WHERE url = $1
                            AND ($5::BOOLEAN OR (lease_epoch = $2 AND last_poll IS NOT DISTINCT FROM $6))
                            AND (lease_until IS NULL OR lease_until < now())
                          FOR UPDATE SKIP LOCKED)
                     UPDATE feeds f SET lease_epoch = f.lease_epoch + 1, lease_owner = $3,
                            lease_until = now() + make_interval(secs => $4)
                       FROM due WHERE f.id = due.id
                     RETURNING f.etag, f.last_modified, f.last_poll, f.last_status, f.last_error,
                         f.consecutive_failures, f.last_new_item, f.current_url, f.not_before,
                         f.gone, f.lease_epoch",
                )
                .await?;
            let granted = conn
                .client()
                .query_opt(
                    &claim,
                    &[
                        &url,
                        &seen.map_or(0, |s| s.0),
                        &inner.me,
                        &inner.lease_secs(),
                        &seen.is_none(),
                        &seen.and_then(|s| s.1),
                    ],
                )
                .await?;
            if let Some(row) = granted {
                let epoch: i64 = row.try_get(10)?;
                let state = feeds::state_row(&row, false)?;
                let last_poll = seen.and_then(|s| s.1);
                inner.see(&url, (epoch, last_poll));
                inner
                    .held
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(url, epoch);
                return Ok(Claim::Granted(Box::new(state)));
            }
            let read = conn.statement(feeds::STATE_WITH_LEASE).await?;
            let Some(row) = conn.client().query_opt(&read, &[&url]).await? else {
                // Not registered (yet): nothing to contend for.
                return Ok(Claim::Granted(Box::default()));
            };
            let (state, epoch, remaining) = feeds::state_with_lease(&row)?;
            let now_seen = (epoch, state.last_poll.map(super::values::unix));
            match remaining {
                Some(secs) => Ok(Claim::Busy {
                    until: busy_until(Utc::now(), secs),
                }),
                None if seen.is_some_and(|s| s != now_seen) => {
                    inner.see(&url, now_seen);
                    Ok(Claim::Moved(Box::new(state)))
                }
                // Free and unchanged, but locked by a claim in progress.
                None => Ok(Claim::Busy {
                    until: Utc::now() + chrono::Duration::seconds(1),
                }),
            }
        })
    }

    /// Ends this daemon's claim on `url` (after its poll): other daemons may
    /// claim it at once instead of when the lease runs out.
    pub fn release(&self, url: &str) -> Pending<()> {
        let url = url.to_string();
        self.pending(move |inner| async move {
            let Some(epoch) = inner
                .held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&url)
            else {
                return Ok(());
            };
            let mut conn = inner.conn().await?;
            let release = conn
                .statement(
                    "UPDATE feeds SET lease_until = NULL, lease_owner = NULL
                      WHERE url = $1 AND lease_epoch = $2
                      RETURNING last_poll",
                )
                .await?;
            // This daemon's own poll is what it saw last: its next claim
            // builds on it.
            if let Some(row) = conn.client().query_opt(&release, &[&url, &epoch]).await? {
                inner.see(&url, (epoch, row.get(0)));
            }
            Ok(())
        })
    }

    /// No size cap on PostgreSQL (its disk and quotas are the DBA's): a no-op.
    pub fn set_size_limit(&self, _mb: Option<u64>) -> Result<(), StoreError> {
        Ok(())
    }

    /// Nothing to fold in: a no-op.
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        Ok(())
    }

    /// A cheap query that fails when the database is unreachable (for /healthz).
    pub fn health(&self) -> Result<(), StoreError> {
        self.run(|inner| async move {
            let probe = async {
                let mut conn = inner.conn().await?;
                conn.client().simple_query("SELECT 1").await?;
                Ok::<_, StoreError>(())
            };
            match tokio::time::timeout(Duration::from_secs(3), probe).await {
                Ok(r) => r,
                Err(_) => Err(StoreError::Task(
                    "the database did not answer within 3 s".into(),
                )),
            }
        })
    }

    /// Number of items stored, for all feeds.
    pub fn item_count(&self) -> Result<u64, StoreError> {
        self.run(|inner| async move {
            let mut conn = inner.conn().await?;
            let row = conn
                .client()
                .query_one("SELECT count(*) FROM items", &[])
                .await?;
            Ok(row.get::<_, i64>(0) as u64)
        })
    }

    /// Rows in each table, by name (for `tidings migrate`).
    pub fn table_counts(&self) -> Result<Vec<(String, u64)>, StoreError> {
        self.run(|inner| async move {
            let mut conn = inner.conn().await?;
            let mut out = Vec::new();
            for table in crate::store::TABLES {
                let row = conn
                    .client()
                    .query_one(&format!("SELECT count(*) FROM {table}"), &[])
                    .await?;
                out.push((table.to_string(), row.get::<_, i64>(0) as u64));
            }
            Ok(out)
        })
    }
}

/// Listens for other daemons' writes for as long as the store lives; after
/// (re)connecting, bumps every counter, since notifications sent while it was
/// away are not replayed.
async fn listen(inner: std::sync::Weak<Inner>) {
    loop {
        let Some(strong) = inner.upgrade() else {
            return;
        };
        let me = strong.me.clone();
        let counters = strong.counters.clone();
        let connected = match &strong.tls {
            Tls::Off => listen_once(&strong.config, tokio_postgres::NoTls, &me, &counters).await,
            Tls::Rustls(tls) => listen_once(&strong.config, tls.clone(), &me, &counters).await,
        };
        drop(strong);
        if let Err(e) = connected {
            tracing::debug!(error = %e, "database notifications: reconnecting");
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn listen_once<T>(
    config: &Config,
    tls: T,
    me: &str,
    counters: &Counters,
) -> Result<(), tokio_postgres::Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, mut connection) = config.connect(tls).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let driver = tokio::spawn(async move {
        let mut messages = futures_util::stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(m) = messages.next().await {
            match m {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.payload().to_string()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
    });
    client.batch_execute(&format!("LISTEN {CHANNEL}")).await?;
    // Whatever happened while not listening is unknown: every render is stale.
    counters.bump_all();
    while let Some(payload) = rx.recv().await {
        let (from, key) = payload.split_once('\n').unwrap_or(("", payload.as_str()));
        if from == me {
            continue;
        }
        if key == EVERYTHING {
            counters.bump_all();
        } else if key.is_empty() {
            counters.touch();
        } else {
            counters.bump(key);
        }
    }
    driver.abort();
    Ok(())
}

/// When a lease with `secs` left (as the database says: any value, even
/// NaN or infinite) runs out, never past [`MAX_LEASE_SECS`] from `now`.
fn busy_until(now: DateTime<Utc>, secs: f64) -> DateTime<Utc> {
    // NaN clamps to NaN, which `as` makes 0.
    let ms = (secs.clamp(0.0, MAX_LEASE_SECS as f64) * 1000.0) as i64;
    chrono::Duration::try_milliseconds(ms)
        .and_then(|d| now.checked_add_signed(d))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// The password when the URL has none: `PGPASSWORD`, else a systemd
/// credential named `pgpassword` (`LoadCredential=pgpassword:/path`).
fn password_from_environment() -> Option<String> {
    if let Ok(p) = std::env::var("PGPASSWORD")
        && !p.is_empty()
    {
        return Some(p);
    }
    let dir = std::env::var_os("CREDENTIALS_DIRECTORY")?;
    let p = std::fs::read_to_string(std::path::Path::new(&dir).join("pgpassword")).ok()?;
    let p = p.trim_end_matches(['\r', '\n']).to_string();
    (!p.is_empty()).then_some(p)
}

fn tls_connector() -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    use rustls_platform_verifier::BuilderVerifierExt;
    crate::fetch::install_crypto_provider();
    let config = rustls::ClientConfig::builder()
        .with_platform_verifier()
        .map_err(|e| format!("TLS setup: {e}"))?
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "host".into())
}

/// A few random bits to tell two daemons with the same pid apart (containers).
fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    h.finish() as u32
}

/// A poll's write, in a transaction on one pooled connection: begun by
/// [`Write::begin`] behind the fence (the feed's row, locked, and still under
/// this daemon's claim if it holds one; the lease is renewed), ended by
/// [`Write::finish`]. `BEGIN`/`COMMIT` are sent as statements so the write can
/// own its connection while the body borrows it.
pub(super) struct Write {
    pub conn: Conn,
    pub inner: Arc<Inner>,
    pub url: String,
    pub feed_id: i64,
    /// The epoch of this daemon's claim on the feed, if it holds one.
    pub epoch: Option<i64>,
    /// The write ends the claim (the poll's last write): once it commits, the
    /// claim is no longer held and the daemon has seen its own poll (`last_poll`).
    pub released: Option<Option<i64>>,
    /// Change counters to bump once the write commits (here, and in the
    /// other daemons through a notification sent inside the transaction).
    pub bumped: Vec<String>,
    /// Committed or rolled back: the connection may go back to the pool.
    ended: bool,
}

impl Drop for Write {
    fn drop(&mut self) {
        if !self.ended {
            // Dropped inside its transaction (a panic in the body): the
            // connection is closed rather than reused half-way through.
            self.conn.pooled = None;
        }
    }
}

impl Write {
    /// Begins the write about the feed at `url`. Fails with
    /// [`StoreError::LeaseLost`] when another daemon claimed the feed since
    /// this one did.
    pub async fn begin(
        inner: Arc<Inner>,
        url: String,
        name: String,
        now: DateTime<Utc>,
    ) -> Result<Write, StoreError> {
        let epoch = inner.held(&url);
        let mut conn = inner.conn().await?;
        let [fence, ensure] = conn
            .statements([
                "UPDATE feeds SET lease_until = CASE WHEN $2::BIGINT IS NULL THEN lease_until
                                                      ELSE now() + make_interval(secs => $3) END
                  WHERE url = $1 AND ($2::BIGINT IS NULL OR lease_epoch = $2)
                  RETURNING id",
                feeds::ENSURE_FEED,
            ])
            .await?;
        conn.client().batch_execute("BEGIN").await?;
        let mut write = Write {
            conn,
            inner: inner.clone(),
            url,
            feed_id: 0,
            epoch,
            released: None,
            bumped: Vec::new(),
            ended: false,
        };
        let found = write
            .conn
            .client()
            .query_opt(&fence, &[&write.url, &epoch, &inner.lease_secs()])
            .await;
        let id = match found {
            Ok(Some(row)) => row.get::<_, i64>(0),
            Ok(None) if epoch.is_some() => {
                let url = write.url.clone();
                write.rollback().await;
                return Err(StoreError::LeaseLost { url });
            }
            Ok(None) => {
                // A feed not registered yet (a store used without register_feeds).
                let row = write
                    .conn
                    .client()
                    .query_one(
                        &ensure,
                        &[&clean(&write.url), &clean(&name), &super::values::unix(now)],
                    )
                    .await;
                match row {
                    Ok(row) => row.get(0),
                    Err(e) => {
                        write.rollback().await;
                        return Err(e.into());
                    }
                }
            }
            Err(e) => {
                write.rollback().await;
                return Err(e.into());
            }
        };
        write.feed_id = id;
        Ok(write)
    }

    /// The client of the transaction.
    pub fn client(&mut self) -> &mut Client {
        self.conn.client()
    }

    /// `sql` prepared on this write's connection (once).
    pub async fn statement(&mut self, sql: &'static str) -> Result<Statement, StoreError> {
        self.conn.statement(sql).await
    }

    /// Commits when the body succeeded (then bumps the change counters),
    /// rolls back when it failed; returns the body's outcome.
    pub async fn finish<T>(mut self, outcome: Result<T, StoreError>) -> Result<T, StoreError> {
        let value = match outcome {
            Ok(v) => v,
            Err(e) => {
                self.rollback().await;
                return Err(e);
            }
        };
        let bumped = std::mem::take(&mut self.bumped);
        let committed = async {
            for key in &bumped {
                let key = if key.len() > 7000 {
                    EVERYTHING
                } else {
                    key.as_str()
                };
                let payload = format!("{}\n{key}", self.inner.me);
                self.conn
                    .client()
                    .execute("SELECT pg_notify($1, $2)", &[&CHANNEL, &payload])
                    .await?;
            }
            self.conn.client().batch_execute("COMMIT").await?;
            Ok::<_, StoreError>(())
        }
        .await;
        if let Err(e) = committed {
            self.rollback().await;
            return Err(e);
        }
        self.ended = true;
        if let (Some(epoch), Some(last_poll)) = (self.epoch, self.released) {
            self.inner
                .held
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&self.url);
            self.inner.see(&self.url, (epoch, last_poll));
        }
        for key in bumped {
            self.inner.counters.bump(&key);
        }
        Ok(value)
    }

    /// Rolls back; a connection that cannot is not reused.
    async fn rollback(&mut self) {
        if self.conn.client().batch_execute("ROLLBACK").await.is_err() {
            self.conn.pooled = None;
        }
        self.ended = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_recognised_and_shown_without_their_password() {
        assert!(is_url("postgres://u@h/db") && is_url("postgresql://u@h:5432/db"));
        assert!(!is_url("tidings.db") && !is_url("/var/lib/tidings/postgres.db"));
        let shown = redact("postgres://tidings:s3cret@db.example:5432/tidings?sslmode=require");
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(shown.contains("tidings:***@db.example:5432/tidings?sslmode=require"));
        assert_eq!(redact("postgres://tidings@db/t"), "postgres://tidings@db/t");
    }

    #[test]
    fn libpq_tools_get_the_password_apart_from_the_url() {
        let (bare, password) =
            for_libpq("postgres://tidings:s%40cret@db.example:5432/tidings?sslmode=require")
                .unwrap();
        assert_eq!(
            bare,
            "postgres://tidings@db.example:5432/tidings?sslmode=require"
        );
        assert_eq!(password.as_deref(), Some("s@cret"), "percent-decoded");
        let (bare, password) =
            for_libpq("postgres://u@h/db?password=p%20w&sslmode=disable").unwrap();
        assert_eq!(bare, "postgres://u@h/db?sslmode=disable");
        assert_eq!(password.as_deref(), Some("p w"));
        let (bare, _) = for_libpq("postgres://u:pw@h/db?password=pw").unwrap();
        assert!(!bare.contains("pw"), "{bare}");
        // No password in the URL: the environment's, as the daemon would use.
        let (bare, password) = for_libpq("postgres://u@h/db").unwrap();
        assert_eq!(bare, "postgres://u@h/db");
        assert_eq!(password, password_from_environment());
        let err = for_libpq("postgres://u:secret@h/db?sslmode=bogus").unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[test]
    fn a_stored_lease_of_any_length_gives_a_time_to_look_again() {
        let now = Utc::now();
        assert_eq!(
            busy_until(now, 1.5),
            now + chrono::Duration::milliseconds(1500)
        );
        let day = now + chrono::Duration::seconds(MAX_LEASE_SECS as i64);
        for absurd in [1e300, f64::INFINITY, i64::MAX as f64] {
            assert_eq!(busy_until(now, absurd), day, "{absurd}");
        }
        for nothing in [-5.0, f64::NEG_INFINITY, f64::NAN] {
            assert_eq!(busy_until(now, nothing), now, "{nothing}");
        }
        assert_eq!(
            busy_until(DateTime::<Utc>::MAX_UTC, 60.0),
            DateTime::<Utc>::MAX_UTC
        );
    }

    // PostgreSQL refuses NUL in text, which a hostile feed may carry.
    #[test]
    fn nul_characters_become_replacement_characters() {
        assert_eq!(clean("a\0b"), "a\u{FFFD}b");
        assert!(matches!(clean("plain"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(clean_opt(&Some("\0".into())).as_deref(), Some("\u{FFFD}"));
    }
}
