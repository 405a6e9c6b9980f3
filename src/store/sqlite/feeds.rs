//! Per-feed bookkeeping: registration, validators, poll results, states.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::items::upsert_items;
use super::{Shared, Sqlite};
use crate::model::{FeedState, StoreCounts, Validators};
use crate::store::values::{from_unix, unix};
use crate::store::{FeedRef, Pending, Refresh, StoreError};

/// The newest `?2` items of the feed at `?1` (walks `items_by_feed_time`).
pub(super) const STORED_HASHES: &str = "SELECT key, content_hash FROM items
     WHERE feed_id = (SELECT id FROM feeds WHERE url = ?1)
     ORDER BY sort_time DESC, id DESC LIMIT ?2";

impl Sqlite {
    /// Registers many feeds (or updates their names) in one transaction: at
    /// start-up with 10,000 feeds, one commit instead of 10,000.
    pub fn register_feeds(&self, feeds: &[FeedRef], now: DateTime<Utc>) -> Result<(), StoreError> {
        let ids = self.write(|c| {
            let tx = c.transaction()?;
            let ids = feeds
                .iter()
                .map(|f| ensure_feed(&tx, f.url, f.name, now).map(|id| (f.url.to_string(), id)))
                .collect::<rusqlite::Result<Vec<_>>>()?;
            tx.commit()?;
            Ok(ids)
        })?;
        self.shared.cache_ids(ids);
        self.shared.reserve_versions(feeds.iter().map(|f| f.url));
        Ok(())
    }

    /// Queues a write about one feed for the writer thread: `run` gets the
    /// feed's row id (registering the feed if needed; the id is cached once
    /// the batch commits); `committed` runs after the commit.
    pub(super) fn feed_write<T: Send + 'static>(
        &self,
        feed: &FeedRef,
        now: DateTime<Utc>,
        run: impl FnOnce(&Connection, i64, &str, &Shared) -> rusqlite::Result<T> + Send + 'static,
        committed: impl FnOnce(&T, &str, &Shared) + Send + 'static,
    ) -> Pending<T> {
        let (url, name) = (feed.url.to_string(), feed.name.to_string());
        self.queue.push(
            move |c, shared| {
                let (id, fresh) = match shared.cached_id(&url) {
                    Some(id) => (id, false),
                    None => (ensure_feed(c, &url, &name, now)?, true),
                };
                Ok((run(c, id, &url, shared)?, url, fresh.then_some(id)))
            },
            |(value, url, fresh), shared| {
                committed(&value, &url, shared);
                if let Some(id) = fresh {
                    shared.cache_ids([(url, id)]);
                }
                value
            },
        )
    }

    /// The feed's bookkeeping; default for a feed never polled.
    pub fn feed_state(&self, url: &str) -> Result<FeedState, StoreError> {
        self.state_of(url, true)
    }

    /// [`Store::feed_state`] without counting the feed's items (`items` is 0):
    /// what a poll needs (validators, where the feed moved), on every poll.
    pub fn poll_state(&self, url: &str) -> Result<FeedState, StoreError> {
        self.state_of(url, false)
    }

    /// [`Store::poll_state`] of every registered feed, by URL, in one query: the
    /// scheduler's start-up plan for 10,000 feeds (it was 10,000 queries, each
    /// counting the feed's items, racing the first requests after a restart).
    pub fn poll_states(&self) -> Result<HashMap<String, FeedState>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT url, {STATE_COLUMNS} FROM feeds"))?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, state_row(r, 1, false)?)))?;
            rows.collect()
        })
    }

    pub fn stored_hashes(
        &self,
        url: &str,
        newest: usize,
    ) -> Result<HashMap<String, String>, StoreError> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(STORED_HASHES)?;
            let limit = i64::try_from(newest).unwrap_or(i64::MAX);
            let rows = stmt.query_map(rusqlite::params![url, limit], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?;
            rows.collect()
        })
    }

    fn state_of(&self, url: &str, counted: bool) -> Result<FeedState, StoreError> {
        let count = if counted {
            ", (SELECT count(*) FROM items WHERE feed_id = feeds.id)"
        } else {
            ""
        };
        self.read(|c| {
            c.query_row(
                &format!("SELECT {STATE_COLUMNS}{count} FROM feeds WHERE url = ?1"),
                [url],
                |r| state_row(r, 0, counted),
            )
            .optional()
            .map(Option::unwrap_or_default)
        })
    }

    /// Stores a fetched document's items and the feed's bookkeeping, all in one
    /// savepoint of the writer's batch: new keys are inserted, changed ones
    /// updated in place.
    pub fn record_refresh(
        &self,
        feed: &FeedRef,
        refresh: Refresh,
        now: DateTime<Utc>,
    ) -> Pending<StoreCounts> {
        self.feed_write(
            feed,
            now,
            move |c, feed_id, url, shared| {
                let mut keys = super::stories::lock(&shared.keys);
                let counts = upsert_items(c, &mut keys, feed_id, url, &refresh, unix(now))?;
                drop(keys);
                c.execute(
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
                Ok(counts)
            },
            |counts, url, shared| {
                if counts.new + counts.updated > 0 {
                    shared.bump(url);
                }
            },
        )
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
        self.feed_write(feed, now, move |c, id, _, _| {
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = ?3, last_error = NULL,
                     consecutive_failures = 0, current_url = coalesce(?4, current_url), not_before = ?5
                 WHERE id = ?1",
                params![id, unix(now), status, moved_to, not_before.map(unix)],
            )
            .map(drop)
        }, |_, _, _| {})
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
        self.feed_write(
            feed,
            now,
            move |c, id, _, _| {
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
            },
            |_, _, _| {},
        )
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
        self.feed_write(feed, now, move |c, id, _, _| {
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = ?3, last_error = ?4, not_before = ?5 WHERE id = ?1",
                params![id, unix(now), status, message, unix(until)],
            )
            .map(drop)
        }, |_, _, _| {})
    }

    /// Records a 410 Gone: the feed is not polled again (until its URL changes in
    /// the config). Its items stay.
    pub fn record_gone(&self, feed: &FeedRef, now: DateTime<Utc>) -> Pending<()> {
        self.feed_write(feed, now, move |c, id, _, _| {
            c.execute(
                "UPDATE feeds SET last_poll = ?2, last_status = 410, gone = 1,
                     last_error = '410 Gone: the server says this feed was removed; polling stopped' WHERE id = ?1",
                params![id, unix(now)],
            )
            .map(drop)
        }, |_, _, _| {})
    }
}

fn ensure_feed(c: &Connection, url: &str, name: &str, now: DateTime<Utc>) -> rusqlite::Result<i64> {
    c.execute(
        "INSERT INTO feeds (url, name, created) VALUES (?1, ?2, ?3)
         ON CONFLICT (url) DO UPDATE SET name = excluded.name WHERE name <> excluded.name",
        params![url, name, unix(now)],
    )?;
    c.query_row("SELECT id FROM feeds WHERE url = ?1", [url], |r| r.get(0))
}

/// The columns [`state_row`] reads, in its order.
const STATE_COLUMNS: &str = "etag, last_modified, last_poll, last_status, last_error,
    consecutive_failures, last_new_item, current_url, not_before, gone";

/// A [`FeedState`] from [`STATE_COLUMNS`] starting at column `at`, then the item
/// count if `counted` (else `items` is 0).
fn state_row(r: &rusqlite::Row, at: usize, counted: bool) -> rusqlite::Result<FeedState> {
    Ok(FeedState {
        validators: Validators {
            etag: r.get(at)?,
            last_modified: r.get(at + 1)?,
        },
        last_poll: r.get::<_, Option<i64>>(at + 2)?.map(from_unix),
        last_status: r.get(at + 3)?,
        last_error: r.get(at + 4)?,
        consecutive_failures: r.get(at + 5)?,
        last_new_item: r.get::<_, Option<i64>>(at + 6)?.map(from_unix),
        current_url: r.get(at + 7)?,
        not_before: r.get::<_, Option<i64>>(at + 8)?.map(from_unix),
        gone: r.get::<_, i64>(at + 9)? != 0,
        items: if counted {
            r.get::<_, i64>(at + 10)? as u64
        } else {
            0
        },
    })
}
