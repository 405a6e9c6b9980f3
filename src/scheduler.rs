//! When each feed is due, and the loop that hands due feeds to the pipeline.
//!
//! Each feed follows its cron schedule (its own or the daemon's), read in the
//! configured time zone, plus a small per-feed offset derived from its URL, so a
//! thousand feeds on `*/15` do not all fire in the same second. A feed whose
//! scheduled poll was missed while the daemon was down is polled at start-up.
//! A feed is never refreshed twice at once: its next time is computed when its
//! refresh finishes. A poll that brought the feed up to date covers the fire
//! time before it: a feed polled at start-up 20 s after a fire time whose
//! offset is 60 s is not polled again 40 s later.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures_util::FutureExt;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::config::{FeedConfig, Schedule};
use crate::model::RefreshReport;
use crate::normalize::hex_digest;

/// The largest offset added to a feed's fire times.
const MAX_SPREAD_SECS: i64 = 300;

/// First poll time at start-up: now if the feed was never polled or a scheduled
/// poll was missed since its last poll, else its next fire time.
pub fn initial_due(
    feed: &FeedConfig,
    tz: chrono_tz::Tz,
    last_poll: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(last) = last_poll else { return now };
    match slot_after(feed, tz, last) {
        Some(t) if t > now => t,
        _ => now,
    }
}

/// The poll time of the first fire time strictly after `t` (fire time + offset).
fn slot_after(feed: &FeedConfig, tz: chrono_tz::Tz, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
    fire_after(&feed.schedule, tz, t).map(|f| f + chrono::Duration::seconds(spread(feed)))
}

/// The next poll time strictly after `after`, offset by the feed's spread.
pub fn next_due(feed: &FeedConfig, tz: chrono_tz::Tz, after: DateTime<Utc>) -> DateTime<Utc> {
    let offset = chrono::Duration::seconds(spread(feed));
    // Search from `after - offset` so the offset does not skip a fire time.
    fire_after(&feed.schedule, tz, after - offset)
        .map(|t| t + offset)
        .filter(|t| *t > after)
        .or_else(|| fire_after(&feed.schedule, tz, after).map(|t| t + offset))
        .unwrap_or(after + chrono::Duration::days(365))
}

fn fire_after(
    schedule: &Schedule,
    tz: chrono_tz::Tz,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    schedule
        .next_after(&after.with_timezone(&tz))
        .map(|t| t.with_timezone(&Utc))
}

/// The schedule's typical interval in seconds (between two fire times).
fn interval_secs(feed: &FeedConfig) -> Option<i64> {
    let t0 = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(20_000);
    fire_after(&feed.schedule, chrono_tz::UTC, t0)
        .and_then(|a| fire_after(&feed.schedule, chrono_tz::UTC, a).map(|b| (b - a).num_seconds()))
}

/// The longest a failing feed waits between tries.
pub const MAX_BACKOFF: chrono::Duration = chrono::Duration::hours(24);

/// Extra wait after `failures` failures in a row: none after the first, then
/// 1, 3, 7, 15… intervals (the wait doubles), at most a day. Failing feeds are
/// retried forever, never dropped.
pub fn backoff(feed: &FeedConfig, failures: u32) -> chrono::Duration {
    if failures <= 1 {
        return chrono::Duration::zero();
    }
    let interval = interval_secs(feed).unwrap_or(900).max(1);
    let factor = (1i64 << (failures - 1).min(20)) - 1;
    chrono::Duration::seconds(interval.saturating_mul(factor)).min(MAX_BACKOFF)
}

/// When to poll next after a refresh at `now`: the schedule, but not before the
/// server's floor (Retry-After, cache headers, `<ttl>`) or the back-off. A
/// refresh that brought the feed up to date (`covered`: stored or not
/// modified) counts for the fire times up to `now`, so the next poll belongs to
/// a later one; after a failure or a deferral the next slot is a retry.
pub fn next_after_refresh(
    feed: &FeedConfig,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
    not_before: Option<DateTime<Utc>>,
    failures: u32,
    covered: bool,
) -> DateTime<Utc> {
    let mut earliest = now + backoff(feed, failures);
    if let Some(t) = not_before {
        earliest = earliest.max(t);
    }
    let due = next_due(feed, tz, earliest);
    match slot_after(feed, tz, now) {
        Some(slot) if covered => due.max(slot),
        _ => due,
    }
}

/// When a feed is next due given its stored state, as the daemon that polled
/// it computed it (the same schedule, offsets and back-off): how a daemon
/// sharing the database schedules a feed another daemon polled.
pub fn due_from_state(
    feed: &FeedConfig,
    tz: chrono_tz::Tz,
    state: &crate::model::FeedState,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let Some(last) = state.last_poll else {
        return now;
    };
    next_after_refresh(
        feed,
        tz,
        last,
        state.not_before,
        state.consecutive_failures,
        state.last_error.is_none(),
    )
}

/// A per-feed offset in seconds: stable (derived from the URL), at most a fifth of
/// the schedule's interval and at most five minutes.
pub fn spread(feed: &FeedConfig) -> i64 {
    let Some(interval) = interval_secs(feed) else {
        return 0;
    };
    let cap = (interval / 5).min(MAX_SPREAD_SECS);
    if cap <= 0 {
        return 0;
    }
    let h = hex_digest(feed.url.as_str().as_bytes());
    i64::from_str_radix(&h[..8], 16).unwrap_or(0) % cap
}

/// What the scheduler needs from a finished refresh.
struct Outcome {
    /// The server's floor on the next poll.
    not_before: Option<DateTime<Utc>>,
    /// Failures in a row.
    failures: u32,
    /// 410 Gone: not polled again.
    gone: bool,
    /// The database refused writes.
    storage: bool,
    /// Stored or not modified: the feed is up to date.
    covered: bool,
    /// Another daemon has the feed (PostgreSQL).
    elsewhere: Option<crate::model::Elsewhere>,
}

impl Outcome {
    fn of(r: &RefreshReport) -> Outcome {
        use crate::model::RefreshResult;
        Outcome {
            not_before: r.not_before,
            failures: r.consecutive_failures,
            gone: r.result == RefreshResult::Gone,
            storage: r.storage_unavailable,
            covered: matches!(
                r.result,
                RefreshResult::Stored(_) | RefreshResult::NotModified
            ),
            elsewhere: match &r.result {
                RefreshResult::Elsewhere(e) => Some(e.clone()),
                _ => None,
            },
        }
    }

    /// A refresh that panicked counts as a failure.
    const PANICKED: Outcome = Outcome {
        not_before: None,
        failures: 1,
        gone: false,
        storage: false,
        covered: false,
        elsewhere: None,
    };
}

/// How long polling pauses when the database cannot take writes, before trying again.
pub const STORAGE_RETRY: chrono::Duration = chrono::Duration::seconds(10);

/// A new set of feeds for a running scheduler (after a config reload): each with
/// the time it is due if it is new or its schedule changed.
pub struct Plan {
    /// Time zone the schedules are read in.
    pub tz: chrono_tz::Tz,
    /// The feeds and their initial due times.
    pub feeds: Vec<(Arc<FeedConfig>, DateTime<Utc>)>,
}

/// The scheduler's view of the feeds: which are configured and when each is due.
/// Keyed by the feed's URL as one shared `Arc<str>` per feed: rescheduling a
/// feed after each poll allocates nothing (with 10,000 feeds, small long-lived
/// allocations made between polls' large short-lived ones fragment the heap).
struct State {
    tz: chrono_tz::Tz,
    feeds: HashMap<Arc<str>, Arc<FeedConfig>>,
    due: HashMap<Arc<str>, DateTime<Utc>>,
    // Min-heap with lazy deletion: an entry counts only if it equals `due[url]`.
    queue: BinaryHeap<Reverse<(DateTime<Utc>, Arc<str>)>>,
    running: HashSet<Arc<str>>,
}

impl State {
    fn set_due(&mut self, url: &Arc<str>, t: DateTime<Utc>) {
        self.due.insert(url.clone(), t);
        self.queue.push(Reverse((t, url.clone())));
    }

    fn apply(&mut self, plan: Plan) {
        let old = std::mem::take(&mut self.feeds);
        self.tz = plan.tz;
        let planned: HashSet<&str> = plan.feeds.iter().map(|(f, _)| f.url.as_str()).collect();
        self.due.retain(|url, _| planned.contains(&**url));
        self.feeds.reserve(plan.feeds.len());
        for (feed, initial) in plan.feeds {
            // The key of a feed that stays is kept (queued entries share it).
            let (url, unchanged) = match old.get_key_value(feed.url.as_str()) {
                Some((url, o)) => (
                    url.clone(),
                    o.schedule.normalized == feed.schedule.normalized,
                ),
                None => (Arc::from(feed.url.as_str()), false),
            };
            self.feeds.insert(url.clone(), feed);
            if !unchanged && !self.running.contains(&url) {
                self.set_due(&url, initial);
            }
        }
    }

    /// Pops the feeds due at `now` (skipping stale heap entries).
    fn take_due(&mut self, now: DateTime<Utc>) -> Vec<(Arc<str>, Arc<FeedConfig>)> {
        let mut out = Vec::new();
        while let Some(Reverse((t, url))) = self.queue.peek().cloned() {
            if t > now {
                break;
            }
            self.queue.pop();
            if self.due.get(&url) == Some(&t) && !self.running.contains(&url) {
                self.due.remove(&url);
                if let Some(feed) = self.feeds.get(&url) {
                    out.push((url.clone(), feed.clone()));
                    self.running.insert(url);
                }
            }
        }
        out
    }

    /// The earliest due time: the heap's top, once stale entries are dropped
    /// (not a scan of every feed, which ran after each of 10,000 polls).
    fn next_wake(&mut self) -> Option<DateTime<Utc>> {
        while let Some(Reverse((t, url))) = self.queue.peek() {
            if self.due.get(url) == Some(t) {
                return Some(*t);
            }
            self.queue.pop();
        }
        None
    }
}

/// Runs until `shutdown` becomes true: refreshes each feed when due, at most
/// `concurrency` at once; `updates` replaces the feed set (config reload). In-flight
/// refreshes finish before it returns.
pub async fn run<F, Fut>(
    initial: Plan,
    concurrency: usize,
    refresh: F,
    mut updates: mpsc::Receiver<Plan>,
    mut shutdown: watch::Receiver<bool>,
    grace: std::time::Duration,
) where
    F: Fn(Arc<FeedConfig>) -> Fut,
    Fut: Future<Output = RefreshReport> + Send + 'static,
{
    let mut state = State {
        tz: initial.tz,
        feeds: HashMap::new(),
        due: HashMap::new(),
        queue: BinaryHeap::new(),
        running: HashSet::new(),
    };
    state.apply(initial);
    let mut running: JoinSet<(Arc<str>, Outcome)> = JoinSet::new();
    // Due feeds wait here; a refresh future is created only when a worker slot is
    // free, so memory stays flat however many feeds are due at once (a cold start).
    let mut ready: VecDeque<(Arc<str>, Arc<FeedConfig>)> = VecDeque::new();
    let mut updates_open = true;
    let mut paused_until: Option<DateTime<Utc>> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        while running.len() < concurrency.max(1) {
            let Some((url, feed)) = ready.pop_front() else {
                break;
            };
            if !state.feeds.contains_key(&url) {
                // Removed by a reload while it waited.
                state.running.remove(&url);
                continue;
            }
            let fut = refresh(feed);
            running.spawn(async move {
                // A panicking refresh must not stop this feed's schedule.
                match AssertUnwindSafe(fut).catch_unwind().await {
                    Ok(r) => (url, Outcome::of(&r)),
                    Err(_) => {
                        tracing::error!(%url, "refresh panicked; the feed stays scheduled");
                        (url, Outcome::PANICKED)
                    }
                }
            });
        }
        let wake = match (state.next_wake(), paused_until) {
            (Some(t), Some(p)) => Some(t.max(p)),
            (t, _) => t,
        };
        let sleep_for = wake.map(|t| (t - Utc::now()).to_std().unwrap_or_default());
        tokio::select! {
            changed = shutdown.changed() => {
                // The sender gone without saying "stop" (its task ended) is a
                // stop too; waiting on it again would return at once, forever.
                if changed.is_err() {
                    break;
                }
            }
            plan = updates.recv(), if updates_open => match plan {
                Some(plan) => state.apply(plan),
                None => updates_open = false,
            },
            Some(done) = running.join_next(), if !running.is_empty() => {
                if let Ok((url, outcome)) = done {
                    state.running.remove(&url);
                    if outcome.storage {
                        // Full disk or read-only database: hold every poll back for a
                        // while (serving is unaffected), then try again.
                        paused_until = Some(Utc::now() + STORAGE_RETRY);
                        state.set_due(&url, Utc::now() + STORAGE_RETRY);
                    } else if let Some(elsewhere) = outcome.elsewhere {
                        use crate::model::Elsewhere;
                        match elsewhere {
                            // Look again when its lease runs out.
                            Elsewhere::Busy { until } => {
                                let after = until.checked_add_signed(chrono::Duration::seconds(1));
                                state.set_due(&url, after.unwrap_or(until));
                            }
                            Elsewhere::Polled(s) if s.gone => {
                                state.feeds.remove(&url);
                            }
                            Elsewhere::Polled(s) => {
                                if let Some(feed) = state.feeds.get(&url) {
                                    let t = due_from_state(feed, state.tz, &s, Utc::now());
                                    state.set_due(&url, t);
                                }
                            }
                            // The daemon that took it over holds it now: the
                            // next claim says until when.
                            Elsewhere::LeaseLost => {
                                state.set_due(&url, Utc::now() + chrono::Duration::seconds(1));
                            }
                        }
                    } else if outcome.gone {
                        // 410: not polled again until the config changes it.
                        state.feeds.remove(&url);
                    } else if let Some(feed) = state.feeds.get(&url) {
                        let t = next_after_refresh(
                            feed,
                            state.tz,
                            Utc::now(),
                            outcome.not_before,
                            outcome.failures,
                            outcome.covered,
                        );
                        state.set_due(&url, t);
                    }
                }
            }
            _ = sleep_or_forever(sleep_for) => {
                if paused_until.is_some_and(|p| p > Utc::now()) {
                    continue;
                }
                if paused_until.take().is_some() {
                    tracing::info!("retrying polls after the database refused writes");
                }
                ready.extend(state.take_due(Utc::now()));
            }
        }
    }
    // Stop scheduling; let in-flight refreshes finish within the grace period.
    // Past it they are abandoned: each refresh's writes are one transaction, so
    // an abandoned one leaves nothing half-written.
    let in_flight = running.len();
    if in_flight > 0 {
        tracing::info!(in_flight, "waiting for in-flight refreshes");
    }
    let drained = tokio::time::timeout(grace, async {
        while running.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            abandoned = running.len(),
            "refreshes still running after the grace period; abandoned"
        );
        running.abort_all();
    }
}

async fn sleep_or_forever(d: Option<std::time::Duration>) {
    match d {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn feed(url: &str, schedule: &str) -> FeedConfig {
        FeedConfig {
            url: url::Url::parse(url).unwrap(),
            name: url.into(),
            tags: vec![],
            schedule: Schedule::parse(schedule).unwrap(),
            full_text: false,
            retention: Default::default(),
        }
    }

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 28, h, m, s).unwrap()
    }

    #[test]
    fn spread_is_stable_bounded_and_differs_between_feeds() {
        let offsets: Vec<i64> = (0..50)
            .map(|i| spread(&feed(&format!("https://f{i}.example/rss"), "*/15 * * * *")))
            .collect();
        assert!(
            offsets.iter().all(|&o| (0..180).contains(&o)),
            "{offsets:?}"
        );
        let distinct: std::collections::HashSet<_> = offsets.iter().collect();
        assert!(distinct.len() > 25, "offsets spread out: {offsets:?}");
        assert_eq!(
            spread(&feed("https://f1.example/rss", "*/15 * * * *")),
            offsets[1]
        );
        assert_eq!(
            spread(&feed("https://f1.example/rss", "* * * * * *")),
            0,
            "1 s interval"
        );
    }

    #[test]
    fn next_due_follows_the_schedule_plus_offset() {
        let f = feed("https://a.example/rss", "0 * * * *");
        let off = chrono::Duration::seconds(spread(&f));
        assert_eq!(
            next_due(&f, chrono_tz::UTC, at(10, 20, 0)),
            at(11, 0, 0) + off
        );
        // Just after a fire time but before its offset elapsed: that same fire time.
        if off.num_seconds() > 1 {
            assert_eq!(
                next_due(&f, chrono_tz::UTC, at(11, 0, 1)),
                at(11, 0, 0) + off
            );
        }
    }

    #[test]
    fn time_zone_applies() {
        let f = feed("https://a.example/rss", "0 9 * * *");
        let off = chrono::Duration::seconds(spread(&f));
        let seoul: chrono_tz::Tz = "Asia/Seoul".parse().unwrap();
        // 09:00 in Seoul is 00:00 UTC.
        assert_eq!(
            next_due(&f, seoul, at(1, 0, 0)),
            Utc.with_ymd_and_hms(2026, 11, 29, 0, 0, 0).unwrap() + off
        );
    }

    #[test]
    fn reload_keeps_due_times_adds_new_feeds_and_drops_removed_ones() {
        let a = feed("https://a.example/rss", "0 * * * *");
        let b = feed("https://b.example/rss", "0 * * * *");
        let c = feed("https://c.example/rss", "*/5 * * * *");
        let mut state = State {
            tz: chrono_tz::UTC,
            feeds: HashMap::new(),
            due: HashMap::new(),
            queue: BinaryHeap::new(),
            running: HashSet::new(),
        };
        state.apply(Plan {
            tz: chrono_tz::UTC,
            feeds: vec![
                (a.clone().into(), at(11, 0, 0)),
                (b.clone().into(), at(11, 0, 0)),
            ],
        });
        // Reload: a unchanged (its due time stays), b removed, c added.
        state.apply(Plan {
            tz: chrono_tz::UTC,
            feeds: vec![
                (a.clone().into(), at(10, 0, 0)),
                (c.clone().into(), at(10, 30, 0)),
            ],
        });
        assert_eq!(state.due.get(a.url.as_str()), Some(&at(11, 0, 0)));
        assert!(!state.due.contains_key(b.url.as_str()));
        assert_eq!(
            state.next_wake(),
            Some(at(10, 30, 0)),
            "c (10:30) is the earliest; b (removed) does not count"
        );
        let due: Vec<String> = state
            .take_due(at(11, 0, 0))
            .iter()
            .map(|(url, _)| url.to_string())
            .collect();
        assert_eq!(
            due,
            [c.url.to_string(), a.url.to_string()],
            "b's stale heap entry is skipped"
        );
        assert!(
            state.take_due(at(12, 0, 0)).is_empty(),
            "running feeds are not started twice"
        );
        assert_eq!(state.next_wake(), None, "nothing is due while both run");
    }

    #[test]
    fn failing_feeds_back_off_up_to_a_day_and_floors_are_respected() {
        let f = feed("https://a.example/rss", "*/15 * * * *");
        assert_eq!(backoff(&f, 0), chrono::Duration::zero());
        assert_eq!(backoff(&f, 1), chrono::Duration::zero());
        assert_eq!(backoff(&f, 2), chrono::Duration::minutes(15));
        assert_eq!(backoff(&f, 3), chrono::Duration::minutes(45));
        assert_eq!(backoff(&f, 30), MAX_BACKOFF, "capped, never dropped");
        let now = at(10, 0, 30);
        let off = chrono::Duration::seconds(spread(&f));
        assert_eq!(
            next_after_refresh(&f, chrono_tz::UTC, now, None, 0, true),
            at(10, 15, 0) + off
        );
        assert_eq!(
            next_after_refresh(&f, chrono_tz::UTC, now, None, 3, false),
            at(11, 0, 0) + off
        );
        let retry = Some(at(12, 5, 0));
        assert_eq!(
            next_after_refresh(&f, chrono_tz::UTC, now, retry, 0, false),
            at(12, 15, 0) + off,
            "Retry-After is a floor"
        );
    }

    #[test]
    fn a_poll_covers_the_fire_time_before_it() {
        // A feed whose offset is over a minute, polled (at start-up) after the
        // 11:00 fire time but before its offset elapsed.
        let f = (0..)
            .map(|i| feed(&format!("https://f{i}.example/rss"), "0 * * * *"))
            .find(|f| spread(f) > 60)
            .unwrap();
        let off = chrono::Duration::seconds(spread(&f));
        let now = at(11, 0, 30);
        assert_eq!(
            next_after_refresh(&f, chrono_tz::UTC, now, None, 0, true),
            at(12, 0, 0) + off,
            "up to date: the next poll is the 12:00 one, not the 11:00 one a minute later"
        );
        assert_eq!(
            next_after_refresh(&f, chrono_tz::UTC, now, None, 1, false),
            at(11, 0, 0) + off,
            "after a failure, the 11:00 poll is a retry"
        );
        assert_eq!(
            next_after_refresh(&f, chrono_tz::UTC, now, Some(at(11, 0, 40)), 0, false),
            at(11, 0, 0) + off,
            "deferred to 11:00:40: the 11:00 poll comes after it"
        );
        // Restarted right after that poll: the same.
        assert_eq!(
            initial_due(&f, chrono_tz::UTC, Some(now), at(11, 0, 45)),
            at(12, 0, 0) + off
        );
    }

    #[test]
    fn missed_polls_run_at_start_up() {
        let f = feed("https://a.example/rss", "0 * * * *");
        let now = at(12, 30, 0);
        assert_eq!(
            initial_due(&f, chrono_tz::UTC, None, now),
            now,
            "never polled"
        );
        assert_eq!(
            initial_due(&f, chrono_tz::UTC, Some(at(9, 10, 0)), now),
            now,
            "missed 10:00"
        );
        let due = initial_due(&f, chrono_tz::UTC, Some(at(12, 10, 0)), now);
        assert!(due > at(13, 0, 0) - chrono::Duration::seconds(1), "{due}");
    }
}
