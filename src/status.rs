//! The per-feed status report behind `tidings status` (and its stable JSON form).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use crate::config::Config;
use crate::model::FeedState;
use crate::scheduler;
use crate::store::{Store, StoreError};

/// One feed's status. The JSON field names are stable (documented in the README).
#[derive(Debug, Clone, Serialize)]
pub struct FeedStatus {
    /// The configured URL.
    pub url: String,
    /// Display name.
    pub name: String,
    /// `ok`, `not modified`, `deferred`, `failing`, `gone` or `never polled`.
    pub state: &'static str,
    /// Last poll time (RFC 3339, UTC).
    pub last_poll: Option<String>,
    /// HTTP status of the last poll.
    pub last_status: Option<u16>,
    /// The last error (or the reason for a deferral), if any.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// When the daemon polls it next (RFC 3339, UTC); `null` when gone.
    pub next_poll: Option<String>,
    /// Items stored.
    pub items: u64,
    /// When it last brought a new item (RFC 3339, UTC).
    pub last_new_item: Option<String>,
    /// The address polled since a permanent redirect, when it differs.
    pub current_url: Option<String>,
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Every state a feed can be in, in the order reports list them.
pub const STATES: [&str; 6] = [
    "ok",
    "not modified",
    "deferred",
    "failing",
    "gone",
    "never polled",
];

/// The one name of a feed's state, as `tidings status`, `/` and `/metrics`
/// show it: `gone` (410, polling stopped), `failing` (the last poll failed,
/// HTTP error or not: a redirect loop too), `never polled`, `deferred` (the
/// server asked to wait, 429/503 with Retry-After, and the wait is not over),
/// `not modified` (the last poll got a 304), else `ok`.
pub fn state_of(s: &FeedState, now: DateTime<Utc>) -> &'static str {
    if s.gone {
        "gone"
    } else if s.consecutive_failures > 0 {
        "failing"
    } else if s.last_poll.is_none() {
        "never polled"
    } else if matches!(s.last_status, Some(429 | 503)) && s.not_before.is_some_and(|t| t > now) {
        "deferred"
    } else if s.last_status == Some(304) {
        "not modified"
    } else {
        "ok"
    }
}

/// How many of the registered feeds are in each of [`STATES`] (every state
/// listed, with 0 when no feed is in it), for `/metrics`. One query, no item
/// counts: cheap enough for every scrape.
pub fn feeds_by_state(store: &Store, now: DateTime<Utc>) -> Result<Vec<(String, u64)>, StoreError> {
    let mut counts: Vec<(String, u64)> = STATES.iter().map(|s| (s.to_string(), 0)).collect();
    for state in store.poll_states()?.values() {
        let name = state_of(state, now);
        if let Some(c) = counts.iter_mut().find(|(s, _)| s == name) {
            c.1 += 1;
        }
    }
    Ok(counts)
}

/// The status of every configured feed, in config order.
pub fn report(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Vec<FeedStatus>, StoreError> {
    let tz = config.daemon.timezone;
    config
        .feeds
        .iter()
        .map(|feed| {
            let s = store.feed_state(feed.url.as_str())?;
            let next = if s.gone {
                None
            } else {
                let t = match s.last_poll {
                    Some(last) => scheduler::next_after_refresh(
                        feed,
                        tz,
                        last,
                        s.not_before,
                        s.consecutive_failures,
                        matches!(state_of(&s, last), "ok" | "not modified"),
                    ),
                    None => now,
                };
                Some(t.max(now))
            };
            Ok(FeedStatus {
                url: feed.url.to_string(),
                name: feed.name.clone(),
                state: state_of(&s, now),
                last_poll: s.last_poll.map(time),
                last_status: s.last_status,
                last_error: s.last_error.clone(),
                consecutive_failures: s.consecutive_failures,
                next_poll: next.map(time),
                items: s.items,
                last_new_item: s.last_new_item.map(time),
                current_url: s.current_url.clone().filter(|u| u != feed.url.as_str()),
            })
        })
        .collect()
}
