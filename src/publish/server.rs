//! The connection loop behind [`super::serve`]: HTTP/1 over hyper, bounded against
//! clients that connect and wait, send slowly or read slowly.
//!
//! - A connection waiting for a request head (its first, or the next one on a
//!   kept-alive connection) is closed after `client_timeout`; a request, from its
//!   complete head to the last byte of its response, is cut after `request_timeout`.
//! - At most `max_connections` are open. Past that, each new connection closes the
//!   one that has been idle longest (else the one whose request has run longest),
//!   so a new client is answered while others hold sockets.
//! - When accept fails for want of descriptors (EMFILE, ENFILE), the longest-idle
//!   connection is closed, accepting pauses briefly, and the error is logged once
//!   a minute with a count, not once per try.
//! - Shutdown stops accepting, closes idle connections and lets requests in flight
//!   finish (each still within `request_timeout`).
//!
//! This module owns no routes: it serves the `Router` it is given.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{Request, Response};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::Instant;
use tower::ServiceExt as _;
use tracing::{debug, warn};

use crate::config::DaemonConfig;

/// How long accepting pauses after it failed for want of resources: briefly
/// when a connection was closed to free a descriptor (its task needs a moment
/// to drop it), longer when none could be.
const ACCEPT_RETRY: Duration = Duration::from_millis(1);
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// Accept failures are logged at most once per this interval.
const ACCEPT_LOG_INTERVAL: Duration = Duration::from_secs(60);
/// Connections of the metrics listener (scrapers are few).
pub const METRICS_CONNECTIONS: usize = 16;

/// What one server lets its clients hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once; a new one past it closes the longest-idle one.
    pub max_connections: usize,
    /// How long a connection may wait to send a complete request head (its
    /// first, or the next one on a kept-alive connection).
    pub client_timeout: Duration,
    /// How long a request may take from its head to the last byte of its response.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            client_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(120),
        }
    }
}

impl Limits {
    /// `[daemon]`'s limits, the connection cap kept below the open-file limit
    /// `descriptors` (when known) with room left for the database, feed and page
    /// fetches and the metrics listener: a quarter of the descriptors, and at
    /// least 64 plus 4 per concurrent refresh.
    pub fn of(daemon: &DaemonConfig, descriptors: Option<u64>) -> Limits {
        let reserve = (64 + 4 * daemon.concurrency as u64).max(descriptors.unwrap_or(0) / 4);
        let budget = descriptors.map_or(usize::MAX, |n| {
            usize::try_from(n.saturating_sub(reserve).max(16)).unwrap_or(usize::MAX)
        });
        Limits {
            max_connections: daemon.max_connections.min(budget),
            client_timeout: daemon.client_timeout,
            request_timeout: daemon.request_timeout,
        }
    }
}

/// The soft limit on open files, where the platform tells.
pub fn descriptor_limit() -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit writes into the struct it is given.
        (unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0).then_some(limit.rlim_cur)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        None
    }
}

/// Raises the soft limit on open files to the hard limit (systemd and most
/// shells start services at a soft 1,024); the soft limit in force afterwards.
pub fn raise_descriptor_limit() -> Option<u64> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: getrlimit/setrlimit read and write the struct they are given;
        // raising the soft limit up to the hard one needs no privilege.
        unsafe {
            if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0
                && limit.rlim_cur < limit.rlim_max
            {
                let raised = libc::rlimit {
                    rlim_cur: limit.rlim_max,
                    rlim_max: limit.rlim_max,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                    debug!(
                        from = limit.rlim_cur,
                        to = raised.rlim_cur,
                        "raised the open-file limit"
                    );
                }
            }
        }
    }
    descriptor_limit()
}

/// Serves `router` on `listener` within `limits` until `shutdown` resolves, then
/// lets requests in flight finish. Accept errors are never fatal.
pub async fn run(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let registry = Arc::new(Registry::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let (done_tx, done_rx) = watch::channel(());
    let mut accept_errors = ErrorLog::default();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) if is_transient(&e) => continue,
            Err(e) => {
                let closed = registry.evict_one();
                accept_errors.note(&e, closed);
                let pause = if closed { ACCEPT_RETRY } else { ACCEPT_BACKOFF };
                tokio::select! {
                    () = tokio::time::sleep(pause) => continue,
                    () = &mut shutdown => break,
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let (id, slot) = registry.admit();
        let service = Tracked {
            router: router.clone(),
            slot,
            epoch: registry.epoch,
        };
        let (stop, done, registry) = (stop_rx.clone(), done_rx.clone(), registry.clone());
        tokio::spawn(async move {
            connection(stream, service, limits, stop).await;
            registry.remove(id);
            drop(done);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(done_rx);
    done_tx.closed().await;
    Ok(())
}

/// Errors of one connection that came and went before it was accepted.
fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | ConnectionRefused | Interrupted | WouldBlock
    )
}

/// Serves one connection until it ends, its deadline passes, it is evicted, or
/// shutdown closes it (once idle).
async fn connection(
    stream: TcpStream,
    service: Tracked,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let slot = service.slot.clone();
    let epoch = service.epoch;
    let conn =
        hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        let deadline = slot.deadline(epoch, limits);
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    debug!(error = %e, "connection ended with an error");
                }
                return;
            }
            () = tokio::time::sleep_until(deadline) => {
                if slot.deadline(epoch, limits) <= Instant::now() {
                    debug!(busy = slot.state().0 > 0, "closing a connection past its time limit");
                    return;
                }
            }
            () = slot.close.notified() => {
                debug!("closing a connection to make room for a new one");
                return;
            }
            () = slot.changed.notified() => {}
            changed = stop.changed(), if !draining => {
                if changed.is_err() || *stop.borrow() {
                    draining = true;
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// One open connection: requests in flight and when that last changed, packed
/// into one word so both are read together.
struct Slot {
    /// Requests in flight in the top 16 bits, milliseconds since the registry's
    /// epoch in the low 48.
    state: AtomicU64,
    /// Told when the connection is evicted.
    close: Notify,
    /// Told when a request starts or ends, so the deadline is worked out again.
    changed: Notify,
}

const SINCE_BITS: u32 = 48;
const SINCE_MASK: u64 = (1 << SINCE_BITS) - 1;

impl Slot {
    fn new(now: u64) -> Slot {
        Slot {
            state: AtomicU64::new(now & SINCE_MASK),
            close: Notify::new(),
            changed: Notify::new(),
        }
    }

    /// (requests in flight, milliseconds since the epoch at the last change).
    fn state(&self) -> (u64, u64) {
        let s = self.state.load(Ordering::Acquire);
        (s >> SINCE_BITS, s & SINCE_MASK)
    }

    fn change(&self, started: bool, now: u64) {
        let _ = self
            .state
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |s| {
                let busy = s >> SINCE_BITS;
                let busy = if started {
                    (busy + 1).min(u64::from(u16::MAX))
                } else {
                    busy.saturating_sub(1)
                };
                Some(busy << SINCE_BITS | (now & SINCE_MASK))
            });
        self.changed.notify_one();
    }

    /// When this connection's current wait (for a request head, or for a
    /// request to be answered) runs out.
    fn deadline(&self, epoch: Instant, limits: Limits) -> Instant {
        let (busy, since) = self.state();
        let allowed = if busy > 0 {
            limits.request_timeout
        } else {
            limits.client_timeout
        };
        epoch + Duration::from_millis(since) + allowed
    }
}

fn millis_since(epoch: Instant) -> u64 {
    u64::try_from(epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// The open connections of one server.
struct Registry {
    epoch: Instant,
    max: usize,
    open: Mutex<(u64, HashMap<u64, Arc<Slot>>)>,
}

impl Registry {
    fn new(max: usize) -> Registry {
        Registry {
            epoch: Instant::now(),
            max: max.max(1),
            open: Mutex::new((0, HashMap::new())),
        }
    }

    /// Registers a new connection, evicting others while at the cap.
    fn admit(&self) -> (u64, Arc<Slot>) {
        let slot = Arc::new(Slot::new(millis_since(self.epoch)));
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        while open.1.len() >= self.max && evict(&mut open.1) {}
        open.0 += 1;
        let id = open.0;
        open.1.insert(id, slot.clone());
        (id, slot)
    }

    /// Closes one connection to free its descriptor; false when none is open.
    fn evict_one(&self) -> bool {
        evict(&mut self.open.lock().unwrap_or_else(|p| p.into_inner()).1)
    }

    fn remove(&self, id: u64) {
        self.open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .1
            .remove(&id);
    }
}

/// Tells the connection idle longest to close (else the one whose request has
/// run longest: the likeliest slow reader) and forgets it. O(open connections),
/// paid only at the cap.
fn evict(open: &mut HashMap<u64, Arc<Slot>>) -> bool {
    let victim = open
        .iter()
        .map(|(id, slot)| {
            let (busy, since) = slot.state();
            (busy > 0, since, *id)
        })
        .min();
    match victim.and_then(|(_, _, id)| open.remove(&id)) {
        Some(slot) => {
            slot.close.notify_one();
            true
        }
        None => false,
    }
}

/// Marks its connection busy from a request's head until the response's body
/// is dropped (sent in full, or abandoned).
struct Busy {
    slot: Arc<Slot>,
    epoch: Instant,
}

impl Busy {
    fn start(slot: Arc<Slot>, epoch: Instant) -> Busy {
        slot.change(true, millis_since(epoch));
        Busy { slot, epoch }
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.slot.change(false, millis_since(self.epoch));
    }
}

/// The router as a hyper service that marks its connection busy per request.
#[derive(Clone)]
struct Tracked {
    router: Router,
    slot: Arc<Slot>,
    epoch: Instant,
}

type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<Body>, Infallible>> + Send>>;

impl hyper::service::Service<Request<Incoming>> for Tracked {
    type Response = Response<Body>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<Incoming>) -> ResponseFuture {
        let busy = Busy::start(self.slot.clone(), self.epoch);
        let response = self.router.clone().oneshot(request.map(Body::new));
        Box::pin(async move {
            let response = response.await?;
            Ok(response.map(|body| Body::new(BusyBody { body, _busy: busy })))
        })
    }
}

/// A response body that keeps its connection marked busy while it exists.
struct BusyBody {
    body: Body,
    _busy: Busy,
}

impl http_body::Body for BusyBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// Accept failures, logged at most once per interval with how many were not.
#[derive(Default)]
struct ErrorLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl ErrorLog {
    fn note(&mut self, e: &std::io::Error, closed_one: bool) {
        if self.last.is_some_and(|t| t.elapsed() < ACCEPT_LOG_INTERVAL) {
            self.unlogged += 1;
            return;
        }
        warn!(
            error = %e,
            since_last_logged = self.unlogged,
            closed_a_connection = closed_one,
            "cannot accept connections; closing the longest-idle one and retrying"
        );
        self.last = Some(Instant::now());
        self.unlogged = 0;
    }
}

#[cfg(test)]
mod tests;
