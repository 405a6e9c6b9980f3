//! The one HTTP client: user agent, timeouts, decompression, a cap on the
//! decompressed body, bounded redirects and conditional GET.
//!
//! It knows nothing about feeds or storage: it turns a URL plus validators into a
//! [`FetchOutcome`] or a [`FetchError`] that says what went wrong in words a user
//! can act on.

mod pages;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use futures_util::StreamExt;
use reqwest::header::{
    CACHE_CONTROL, CONTENT_LOCATION, CONTENT_TYPE, ETAG, EXPIRES, HeaderMap, IF_MODIFIED_SINCE,
    IF_NONE_MATCH, LAST_MODIFIED, LOCATION, RETRY_AFTER,
};

use crate::model::{FetchKind, FetchOutcome, FetchedBody, Validators};

pub use pages::{Page, PageFetcher, is_private};

/// The `User-Agent` every request carries.
pub const USER_AGENT: &str = concat!(
    "tidings/",
    env!("CARGO_PKG_VERSION"),
    " (feed aggregator; +https://crates.io/crates/tidings)"
);

/// DNS lookups that run at once, across both clients.
pub const LOOKUPS: usize = 4;

static LOOKING_UP: Semaphore = Semaphore::const_new(LOOKUPS);

/// Resolves `host` with the system resolver (port 0: the client sets it).
///
/// `getaddrinfo` blocks a thread of the blocking pool for as long as it takes,
/// seconds per name when a resolver is down. The pool is bounded (see
/// `pipeline::blocking_threads`) and shared with the store, so lookups are
/// bounded apart from it: at most [`LOOKUPS`] at once, each slot held until
/// `getaddrinfo` returns even when the request gave up on it.
pub(crate) async fn lookup(host: &str) -> std::io::Result<Vec<std::net::SocketAddr>> {
    let slot = LOOKING_UP.acquire().await.map_err(std::io::Error::other)?;
    let host = host.to_owned();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        std::net::ToSocketAddrs::to_socket_addrs(&(host.as_str(), 0)).map(Iterator::collect)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// The feed client's resolver: the system's, through [`lookup`].
struct System;

impl reqwest::dns::Resolve for System {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs = lookup(&host).await?;
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Limits of the client.
#[derive(Debug, Clone)]
pub struct FetchSettings {
    /// Whole-request deadline, body included.
    pub timeout: Duration,
    /// TCP + TLS connect deadline.
    pub connect_timeout: Duration,
    /// Largest body accepted, counted after decompression.
    pub max_bytes: usize,
}

/// Why a fetch failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The client could not be built (TLS setup).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// No response: DNS, connection refused, TLS, timeout, too many redirects...
    #[error("{0}")]
    Transport(String),
    /// The server answered with a non-success status.
    #[error("HTTP {status}{}", reason.as_deref().map(|r| format!(" {r}")).unwrap_or_default())]
    Status {
        /// The status code.
        status: u16,
        /// Its canonical reason phrase.
        reason: Option<String>,
        /// `Retry-After` (seconds or an HTTP date), as a point in time.
        retry_after: Option<chrono::DateTime<chrono::Utc>>,
    },
    /// Redirects went round in a circle or on for too long.
    #[error("{0}")]
    Redirect(String),
    /// The decompressed body exceeded the cap.
    #[error("response body exceeds the {limit}-byte limit")]
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
}

impl FetchError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// The shared HTTP client. Cheap to clone.
#[derive(Clone)]
pub struct Fetcher {
    client: reqwest::Client,
    max_bytes: usize,
    hosts: Option<HostLimiter>,
}

/// At most `per_host` requests in flight to one host at a time (politeness: a
/// site with many feeds is not hit by all of them at once).
#[derive(Clone)]
pub struct HostLimiter {
    per_host: usize,
    hosts: Arc<Mutex<HashMap<String, Arc<Semaphore>>>>,
}

impl HostLimiter {
    /// A limiter allowing `per_host` requests per host (at least 1).
    pub fn new(per_host: usize) -> HostLimiter {
        HostLimiter {
            per_host: per_host.max(1),
            hosts: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Waits for a slot for `url`'s host; the slot is held until the permit drops.
    pub async fn acquire(&self, url: &url::Url) -> Option<OwnedSemaphorePermit> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let semaphore = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        semaphore.acquire_owned().await.ok()
    }
}

impl Fetcher {
    /// Builds the client. The rustls crypto provider must be installed first
    /// (see [`install_crypto_provider`]).
    pub fn new(settings: &FetchSettings) -> Result<Fetcher, FetchError> {
        install_crypto_provider();
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .dns_resolver(System)
            // Redirects are followed by hand in `fetch` (to tell 301/308 from 302/307).
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FetchError::Client(chain(&e)))?;
        Ok(Fetcher {
            client,
            max_bytes: settings.max_bytes,
            hosts: None,
        })
    }

    /// Limits requests per host (feeds that share a host wait for each other).
    pub fn with_host_limit(mut self, per_host: usize) -> Fetcher {
        self.hosts = Some(HostLimiter::new(per_host));
        self
    }

    /// Conditional GET of `url`, following at most 10 redirects by hand so that
    /// a chain of permanent ones (301/308) can be reported as the feed's new address.
    pub async fn fetch(
        &self,
        url: &url::Url,
        validators: &Validators,
    ) -> Result<FetchOutcome, FetchError> {
        let _slot = match &self.hosts {
            Some(hosts) => hosts.acquire(url).await,
            None => None,
        };
        let mut current = url.clone();
        let mut visited = vec![url.clone()];
        let mut permanent = true;
        let response = loop {
            let mut request = self.client.get(current.clone());
            if let Some(etag) = &validators.etag {
                request = request.header(IF_NONE_MATCH, etag);
            }
            if let Some(lm) = &validators.last_modified {
                request = request.header(IF_MODIFIED_SINCE, lm);
            }
            let response = request
                .send()
                .await
                .map_err(|e| FetchError::Transport(describe(&e, &current)))?;
            let status = response.status();
            if !status.is_redirection() || status == reqwest::StatusCode::NOT_MODIFIED {
                break response;
            }
            let location = header(response.headers(), LOCATION).ok_or_else(|| {
                FetchError::Redirect(format!(
                    "HTTP {} without a Location header",
                    status.as_u16()
                ))
            })?;
            let next = current.join(&location).map_err(|e| {
                FetchError::Redirect(format!("bad redirect target {location:?}: {e}"))
            })?;
            if visited.contains(&next) {
                return Err(FetchError::Redirect(format!(
                    "redirect loop back to {next}"
                )));
            }
            if visited.len() > 10 {
                return Err(FetchError::Redirect("more than 10 redirects".into()));
            }
            permanent &= matches!(status.as_u16(), 301 | 308);
            visited.push(next.clone());
            current = next;
        };
        let moved_to = (permanent && current != *url).then(|| current.clone());
        let status = response.status();
        let not_before = cache_floor(response.headers());
        if status == reqwest::StatusCode::NOT_MODIFIED {
            return Ok(FetchOutcome {
                kind: FetchKind::NotModified { status: 304 },
                moved_to,
                not_before,
            });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                reason: status.canonical_reason().map(str::to_string),
                retry_after: retry_after(response.headers()),
            });
        }
        let headers = response.headers();
        let new_validators = Validators {
            etag: header(headers, ETAG),
            last_modified: header(headers, LAST_MODIFIED),
        };
        // Some servers ignore If-None-Match but still send the same ETag.
        if new_validators.etag.is_some() && new_validators.etag == validators.etag {
            return Ok(FetchOutcome {
                kind: FetchKind::NotModified {
                    status: status.as_u16(),
                },
                moved_to,
                not_before,
            });
        }
        let content_type = header(headers, CONTENT_TYPE);
        // Content-Location names the document's own URI: relative links in it
        // resolve against that (RFC 9110 §8.7), as feed readers do.
        let base_url = header(headers, CONTENT_LOCATION)
            .and_then(|l| current.join(l.trim()).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
            .unwrap_or_else(|| current.clone());
        let bytes = read_capped(response, self.max_bytes).await?;
        Ok(FetchOutcome {
            kind: FetchKind::Fetched(Box::new(FetchedBody {
                status: status.as_u16(),
                bytes,
                base_url,
                final_url: current,
                validators: new_validators,
                content_type,
            })),
            moved_to,
            not_before,
        })
    }
}

/// The most a server's cache headers or Retry-After may delay the next poll: a
/// hostile or mistaken header must not stop a feed for months.
pub const MAX_DELAY: chrono::Duration = chrono::Duration::hours(24);

/// A server's delay in seconds, within 0..=[`MAX_DELAY`]: capped before it
/// becomes a duration (`Duration::seconds` panics past ~292 million years,
/// and `Retry-After: 99999999999999999` is a header anyone can send).
fn capped_seconds(secs: i64) -> chrono::Duration {
    chrono::Duration::seconds(secs.clamp(0, MAX_DELAY.num_seconds()))
}

/// `Retry-After` as a point in time: delay-seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<chrono::DateTime<chrono::Utc>> {
    let value = header(headers, RETRY_AFTER)?;
    let now = chrono::Utc::now();
    let at = match value.parse::<i64>() {
        Ok(secs) => now + capped_seconds(secs),
        Err(_) => chrono::DateTime::parse_from_rfc2822(&value)
            .ok()?
            .with_timezone(&chrono::Utc),
    };
    Some(at.min(now + MAX_DELAY))
}

/// `Cache-Control: max-age` (preferred) or `Expires`, as a floor on the next poll.
fn cache_floor(headers: &HeaderMap) -> Option<chrono::DateTime<chrono::Utc>> {
    let now = chrono::Utc::now();
    let max_age = header(headers, CACHE_CONTROL).and_then(|cc| {
        cc.split(',')
            .filter_map(|d| d.trim().strip_prefix("max-age="))
            .find_map(|v| v.trim_matches('"').parse::<i64>().ok())
    });
    let at = match max_age {
        Some(secs) => now + capped_seconds(secs),
        None => chrono::DateTime::parse_from_rfc2822(&header(headers, EXPIRES)?)
            .ok()?
            .with_timezone(&chrono::Utc),
    };
    (at > now).then(|| at.min(now + MAX_DELAY))
}

/// Reads the body chunk by chunk, counting decompressed bytes, and stops at the cap
/// (`Content-Length` says nothing about a compressed body's real size).
async fn read_capped(response: reqwest::Response, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| FetchError::Transport(format!("reading the body: {}", innermost(&e))))?;
        if body.len() + chunk.len() > max_bytes {
            return Err(FetchError::TooLarge { limit: max_bytes });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn header(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
}

/// A short cause a user can act on. reqwest's own message repeats the URL and
/// buries the cause (DNS, refused, timeout, certificate) at the end of its chain.
fn describe(error: &reqwest::Error, url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let cause = innermost(error);
    if error.is_timeout() {
        format!("timed out ({cause})")
    } else if error.is_redirect() {
        format!("redirect problem: {cause}")
    } else if error.is_connect() {
        let all = chain(error).to_lowercase();
        if all.contains("dns error") {
            format!("DNS lookup of {host} failed: {cause}")
        } else if all.contains("certificate") || all.contains("tls") {
            format!("TLS handshake with {host} failed: {cause}")
        } else {
            format!("cannot connect to {host}: {cause}")
        }
    } else {
        chain(error)
    }
}

fn innermost(error: &(dyn std::error::Error + 'static)) -> String {
    let mut e = error;
    while let Some(next) = e.source() {
        e = next;
    }
    e.to_string()
}

fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![error.to_string()];
    let mut source = error.source();
    while let Some(e) = source {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = e.source();
    }
    parts.join(": ")
}

/// Installs ring as rustls's crypto provider (reqwest is built without one).
/// Idempotent; later calls are no-ops.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absurd_delays_from_a_server_are_capped_not_a_panic() {
        let now = chrono::Utc::now();
        for value in ["99999999999999999", "9223372036854775807", "-5", "120"] {
            let mut headers = HeaderMap::new();
            headers.insert(RETRY_AFTER, value.parse().unwrap());
            let at = retry_after(&headers).unwrap();
            assert!(at >= now && at <= chrono::Utc::now() + MAX_DELAY, "{value}");
            let mut headers = HeaderMap::new();
            headers.insert(CACHE_CONTROL, format!("max-age={value}").parse().unwrap());
            if let Some(at) = cache_floor(&headers) {
                assert!(at <= chrono::Utc::now() + MAX_DELAY, "{value}");
            }
        }
    }
}
