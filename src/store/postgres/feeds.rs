//! Per-feed bookkeeping on PostgreSQL: registration, poll results, states.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

use super::{Inner, Postgres, Write, clean, clean_opt};
use crate::model::{FeedState, StoreCounts, Validators};
use crate::store::values::{from_unix, unix};
use crate::store::{FeedRef, Pending, Refresh, StoreError};

/// Registers a feed (or renames it); returns its id.
pub(super) const ENSURE_FEED: &str = "INSERT INTO feeds (url, name, created) VALUES ($1, $2, $3)
     ON CONFLICT (url) DO UPDATE SET name = excluded.name
     RETURNING id";

/// The columns [`state_row`] reads, in its order.
const STATE_COLUMNS: &str = "etag, last_modified, last_poll, last_status, last_error,
    consecutive_failures, last_new_item, current_url, not_before, gone, lease_epoch";

/// Ends the writer's claim in a poll's last write (`$6`: its epoch, NULL
/// without a claim): saves the release's own statement and commit.
const RELEASE: &str = "lease_until = CASE WHEN $6::BIGINT IS NULL THEN lease_until END,
    lease_owner = CASE WHEN $6::BIGINT IS NULL THEN lease_owner END";

/// [`RELEASE`] with the epoch in `$5`.
const RELEASE_AT_5: &str = "lease_until = CASE WHEN $5::BIGINT IS NULL THEN lease_until END,
    lease_owner = CASE WHEN $5::BIGINT IS NULL THEN lease_owner END";

/// A feed's state, its epoch and the seconds left on a live lease (NULL when free).
pub(super) const STATE_WITH_LEASE: &str =
    "SELECT etag, last_modified, last_poll, last_status, last_error,
    consecutive_failures, last_new_item, current_url, not_before, gone, lease_epoch,
    CASE WHEN lease_until > now() THEN extract(epoch FROM lease_until - now())::FLOAT8 END
    FROM feeds WHERE url = $1";

pub(super) fn state_row(r: &Row, counted: bool) -> Result<FeedState, StoreError> {
    Ok(FeedState {
        validators: Validators {
            etag: r.try_get(0)?,
            last_modified: r.try_get(1)?,
        },
        last_poll: r.try_get::<_, Option<i64>>(2)?.map(from_unix),
        last_status: r
            .try_get::<_, Option<i32>>(3)?
            .and_then(|s| u16::try_from(s).ok()),
        last_error: r.try_get(4)?,
        consecutive_failures: r.try_get::<_, i32>(5)?.max(0) as u32,
        last_new_item: r.try_get::<_, Option<i64>>(6)?.map(from_unix),
        current_url: r.try_get(7)?,
        not_before: r.try_get::<_, Option<i64>>(8)?.map(from_unix),
        gone: r.try_get(9)?,
        items: if counted {
            r.try_get::<_, i64>(11)?.max(0) as u64
        } else {
            0
        },
    })
}

/// A row of [`STATE_WITH_LEASE`]: the state, the epoch, the lease's seconds left.
pub(super) fn state_with_lease(r: &Row) -> Result<(FeedState, i64, Option<f64>), StoreError> {
    Ok((state_row(r, false)?, r.try_get(10)?, r.try_get(11)?))
}

impl Postgres {
    /// Registers many feeds (or updates their names) in one statement.
    pub fn register_feeds(&self, feeds: &[FeedRef], now: DateTime<Utc>) -> Result<(), StoreError> {
        let urls: Vec<String> = feeds.iter().map(|f| clean(f.url).into_owned()).collect();
        let names: Vec<String> = feeds.iter().map(|f| clean(f.name).into_owned()).collect();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let client = conn.client();
            // One statement: its rows are locked in one order, so daemons
            // starting at once do not deadlock.
            client
                .execute(
                    "INSERT INTO feeds (url, name, created)
                     SELECT u, n, $3 FROM unnest($1::TEXT[], $2::TEXT[]) AS t(u, n) ORDER BY u
                     ON CONFLICT (url) DO UPDATE SET name = excluded.name
                       WHERE feeds.name <> excluded.name",
                    &[&urls, &names, &unix(now)],
                )
                .await?;
            Ok(())
        })?;
        self.inner.counters.reserve(feeds.iter().map(|f| f.url));
        Ok(())
    }

    /// The feed's bookkeeping; default for a feed never polled.
    pub fn feed_state(&self, url: &str) -> Result<FeedState, StoreError> {
        self.state_of(url, true)
    }

    /// [`Postgres::feed_state`] without counting the feed's items.
    pub fn poll_state(&self, url: &str) -> Result<FeedState, StoreError> {
        self.state_of(url, false)
    }

    pub fn stored_hashes(
        &self,
        url: &str,
        newest: usize,
    ) -> Result<HashMap<String, String>, StoreError> {
        let url = url.to_string();
        let limit = i64::try_from(newest).unwrap_or(i64::MAX);
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(
                    "SELECT key, content_hash FROM items
                     WHERE feed_id = (SELECT id FROM feeds WHERE url = $1)
                     ORDER BY sort_time DESC, id DESC LIMIT $2",
                    &[&url, &limit],
                )
                .await?;
            let mut out = HashMap::with_capacity(rows.len());
            for r in rows {
                out.insert(r.try_get(0)?, r.try_get(1)?);
            }
            Ok(out)
        })
    }

    fn state_of(&self, url: &str, counted: bool) -> Result<FeedState, StoreError> {
        let url = url.to_string();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let sql = if counted {
                "SELECT etag, last_modified, last_poll, last_status, last_error,
                    consecutive_failures, last_new_item, current_url, not_before, gone, lease_epoch,
                    (SELECT count(*) FROM items WHERE feed_id = feeds.id) FROM feeds WHERE url = $1"
            } else {
                "SELECT etag, last_modified, last_poll, last_status, last_error,
                    consecutive_failures, last_new_item, current_url, not_before, gone, lease_epoch
                    FROM feeds WHERE url = $1"
            };
            let stmt = conn.statement(sql).await?;
            match conn.client().query_opt(&stmt, &[&url]).await? {
                Some(r) => state_row(&r, counted),
                None => Ok(FeedState::default()),
            }
        })
    }

    /// Every registered feed's poll state, by URL, in one query; remembers
    /// each feed's epoch as seen (a claim then succeeds only if nobody claimed
    /// the feed since).
    pub fn poll_states(&self) -> Result<HashMap<String, FeedState>, StoreError> {
        self.run(|inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(&format!("SELECT {STATE_COLUMNS}, url FROM feeds"), &[])
                .await?;
            let mut out = HashMap::with_capacity(rows.len());
            let mut seen = inner.seen.lock().unwrap_or_else(|e| e.into_inner());
            for r in rows {
                let url: String = r.try_get(11)?;
                let state = state_row(&r, false)?;
                seen.insert(url.clone(), (r.try_get(10)?, state.last_poll.map(unix)));
                out.insert(url, state);
            }
            Ok(out)
        })
    }

    /// A fenced write about `feed` (see [`Write`]): `body` runs inside it.
    pub(super) fn feed_write<T, B, Fut>(
        &self,
        feed: &FeedRef,
        now: DateTime<Utc>,
        body: B,
    ) -> Pending<T>
    where
        T: Send + 'static,
        B: FnOnce(Write) -> Fut + Send + 'static,
        Fut: std::future::Future<Output = (Write, Result<T, StoreError>)> + Send,
    {
        let (url, name) = (feed.url.to_string(), feed.name.to_string());
        self.pending(move |inner: std::sync::Arc<Inner>| async move {
            let write = Write::begin(inner, url, name, now).await?;
            let (write, outcome) = body(write).await;
            write.finish(outcome).await
        })
    }

    /// Stores a fetched document's items and the feed's bookkeeping in one
    /// transaction: new keys inserted, changed ones updated in place.
    pub fn record_refresh(
        &self,
        feed: &FeedRef,
        refresh: Refresh,
        now: DateTime<Utc>,
    ) -> Pending<StoreCounts> {
        self.feed_write(feed, now, move |mut w| async move {
            let outcome = async {
                let counts = super::items::upsert_items(&mut w, &refresh, unix(now)).await?;
                let stmt = w
                    .statement(
                        "UPDATE feeds SET title = coalesce($2, title), site_link = coalesce($3, site_link),
                             etag = $4, last_modified = $5, last_poll = $6, last_status = $7,
                             last_error = NULL, consecutive_failures = 0,
                             last_new_item = CASE WHEN $8::BIGINT > 0 THEN $6 ELSE last_new_item END,
                             current_url = coalesce($9, current_url), not_before = $10
                         WHERE id = $1",
                    )
                    .await?;
                let id = w.feed_id;
                w.client()
                    .execute(
                        &stmt,
                        &[
                            &id,
                            &clean_opt(&refresh.title),
                            &clean_opt(&refresh.site_link),
                            &clean_opt(&refresh.validators.etag),
                            &clean_opt(&refresh.validators.last_modified),
                            &unix(now),
                            &i32::from(refresh.status),
                            &(counts.new as i64),
                            &clean_opt(&refresh.moved_to),
                            &refresh.not_before.map(unix),
                        ],
                    )
                    .await?;
                if counts.new + counts.updated > 0 {
                    w.bumped.push(w.url.clone());
                }
                Ok(counts)
            }
            .await;
            (w, outcome)
        })
    }

    /// Records a poll that found nothing new (304, or an unchanged ETag).
    pub fn record_not_modified(
        &self,
        feed: &FeedRef,
        status: u16,
        moved_to: Option<String>,
        not_before: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Pending<()> {
        self.feed_write(feed, now, move |mut w| async move {
            let (id, epoch) = (w.feed_id, w.epoch);
            let outcome = w
                .client()
                .execute(
                    &format!(
                        "UPDATE feeds SET last_poll = $2, last_status = $3, last_error = NULL,
                             consecutive_failures = 0, current_url = coalesce($4, current_url), not_before = $5,
                             {RELEASE}
                         WHERE id = $1"
                    ),
                    &[&id, &unix(now), &i32::from(status), &clean_opt(&moved_to), &not_before.map(unix), &epoch],
                )
                .await
                .map(drop)
                .map_err(StoreError::from);
            w.released = Some(Some(unix(now)));
            (w, outcome)
        })
    }

    /// Records a failed poll; returns the feed's consecutive failures.
    pub fn record_failure(
        &self,
        feed: &FeedRef,
        status: Option<u16>,
        error: String,
        now: DateTime<Utc>,
    ) -> Pending<u32> {
        self.feed_write(feed, now, move |mut w| async move {
            let (id, epoch) = (w.feed_id, w.epoch);
            w.released = Some(Some(unix(now)));
            let outcome = w
                .client()
                .query_one(
                    &format!(
                        "UPDATE feeds SET last_poll = $2, last_status = $3, last_error = $4,
                             consecutive_failures = consecutive_failures + 1, {RELEASE_AT_5} WHERE id = $1
                         RETURNING consecutive_failures"
                    ),
                    &[&id, &unix(now), &status.map(i32::from), &clean(&error), &epoch],
                )
                .await
                .map(|r| r.get::<_, i32>(0).max(0) as u32)
                .map_err(StoreError::from);
            (w, outcome)
        })
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
        self.feed_write(feed, now, move |mut w| async move {
            let (id, epoch) = (w.feed_id, w.epoch);
            w.released = Some(Some(unix(now)));
            let outcome = w
                .client()
                .execute(
                    &format!(
                        "UPDATE feeds SET last_poll = $2, last_status = $3, last_error = $4, not_before = $5,
                             {RELEASE}
                         WHERE id = $1"
                    ),
                    &[&id, &unix(now), &i32::from(status), &clean(&message), &unix(until), &epoch],
                )
                .await
                .map(drop)
                .map_err(StoreError::from);
            (w, outcome)
        })
    }

    /// Records a 410 Gone: the feed is not polled again.
    pub fn record_gone(&self, feed: &FeedRef, now: DateTime<Utc>) -> Pending<()> {
        self.feed_write(feed, now, move |mut w| async move {
            let id = w.feed_id;
            let outcome = w
                .client()
                .execute(
                    "UPDATE feeds SET last_poll = $2, last_status = 410, gone = true,
                         last_error = '410 Gone: the server says this feed was removed; polling stopped' WHERE id = $1",
                    &[&id, &unix(now)],
                )
                .await
                .map(drop)
                .map_err(StoreError::from);
            (w, outcome)
        })
    }
}
