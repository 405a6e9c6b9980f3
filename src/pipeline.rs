//! The one orchestrator: a feed refresh runs fetch → parse → normalize → store.
//!
//! Only this module calls more than one stage. A failure at any stage is recorded
//! against the feed (last error, consecutive failures) and returned in the
//! [`RefreshReport`]; it is never propagated, so one bad feed cannot stop the others.
//! CPU-bound stages (parse, normalize) run on the blocking pool.

use std::sync::{Arc, RwLock};
use std::time::Instant;

use chrono::{DateTime, Utc};
use tracing::{Instrument, info, info_span, warn};

use crate::config::FeedConfig;
use crate::fetch::{FetchError, Fetcher, MAX_DELAY};

use crate::extract::{self, SiteRule};
use crate::fetch::PageFetcher;
use crate::membership::{self, Filters};
use crate::metrics::Metrics;
use crate::model::{Elsewhere, FeedState, FetchKind, HtmlText, RefreshReport, RefreshResult};
use crate::store::{self, Claim, FeedRef, Refresh, Store};
use crate::{normalize, parse};

/// What a refresh needs: the shared client and store, and the per-document cap.
#[derive(Clone)]
pub struct Context {
    /// The HTTP client.
    pub fetcher: Fetcher,
    /// The database.
    pub store: Store,
    /// Most entries taken from one document.
    pub max_items_per_feed: usize,
    /// Largest feed document accepted.
    pub max_feed_bytes: usize,
    /// The outputs' compiled filters, evaluated at ingest.
    pub filters: Filters,
    /// The client for article pages (private-address guard, per-host cap).
    pub pages: PageFetcher,
    /// `[[site]]` extraction rules; replaced on reload.
    pub sites: Arc<RwLock<Arc<Vec<SiteRule>>>>,
    /// What ingest reads of `[daemon]`; replaced on reload.
    pub ingest: Arc<RwLock<Arc<Ingest>>>,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// One permit per core for the CPU-bound stages (parse + normalize +
    /// filters, article extraction). Fetches run `concurrency` at a time, but
    /// 64 parses on 2 cores only share them out slower, hold 64 documents'
    /// working memory at once and starve the threads that serve requests.
    pub cpu: Arc<tokio::sync::Semaphore>,
}

/// The `[daemon]` settings ingest reads (replaced whole on reload).
#[derive(Debug, Clone, Default)]
pub struct Ingest {
    /// `link_schemes`: schemes besides http(s) whose item links are served.
    pub link_schemes: Vec<String>,
    /// `dedup_window_hours`, in seconds: how far back a new item is compared.
    pub dedup_window_secs: i64,
    /// Some output shows each story once: new items get a print (when none
    /// does, nothing is kept for it; turned on later, items stored meanwhile
    /// stay stories of their own).
    pub stories: bool,
}

impl Ingest {
    /// The settings of `config`.
    pub fn of(config: &crate::config::Config) -> Ingest {
        Ingest {
            link_schemes: config.daemon.link_schemes.clone(),
            dedup_window_secs: config.daemon.dedup.window.as_secs() as i64,
            stories: config.outputs.iter().any(|o| o.dedup),
        }
    }
}

/// The cores this process may use (its CPU affinity and quota), at least 1.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Permits for [`Context::cpu`]: one per core.
pub fn cpu_slots() -> Arc<tokio::sync::Semaphore> {
    Arc::new(tokio::sync::Semaphore::new(cores()))
}

/// Threads of tokio's blocking pool (default: 512). Each kind of blocking work
/// has its own bound: store calls ([`store::SLOTS`]), parsing and extraction
/// (one per core, [`cpu_slots`]) and DNS lookups ([`crate::fetch::LOOKUPS`]);
/// the pool holds all of them at once plus two for the rest (config reloads),
/// so none waits for a thread another kind holds. Unbounded, a cold poll kept
/// ~35 threads alive where ~10 had work: idle threads linger for seconds, and
/// each keeps its stack and a malloc arena of its own (a 10,000-feed poll
/// peaked at 93 MB; 89 MB with this 16-thread pool on 2 cores, 84 MB with 10).
pub fn blocking_threads() -> usize {
    store::SLOTS + cores() + crate::fetch::LOOKUPS + 2
}

/// How the store names a configured feed.
pub fn feed_ref(feed: &FeedConfig) -> FeedRef<'_> {
    FeedRef {
        url: feed.url.as_str(),
        name: &feed.name,
    }
}

/// Articles fetched per feed refresh, at most (the rest wait for the next poll).
const ARTICLES_PER_REFRESH: usize = 20;

/// Polls one feed and stores what it brings. Never fails: the outcome, including
/// any error, is in the report (and in the feed's stored state).
pub async fn refresh(ctx: &Context, feed: &Arc<FeedConfig>) -> RefreshReport {
    let span = info_span!("refresh", feed = %feed.name, url = %feed.url);
    async {
        let started = Instant::now();
        let (claimed, state) = match claim(ctx, feed).await {
            Ok(Ok(state)) => (state.is_some(), state),
            Ok(Err(elsewhere)) => {
                tracing::debug!(reason = %elsewhere, "not polled here");
                return RefreshReport {
                    url: feed.url.to_string(),
                    name: feed.name.clone(),
                    result: RefreshResult::Elsewhere(elsewhere),
                    elapsed: started.elapsed(),
                    not_before: None,
                    consecutive_failures: 0,
                    storage_unavailable: false,
                };
            }
            Err(failure) => {
                // The database cannot be reached: nothing can be recorded; the
                // scheduler pauses polling until it answers again.
                tracing::error!(error = %failure.message, "the database cannot be reached: polling pauses, serving goes on");
                return RefreshReport {
                    url: feed.url.to_string(),
                    name: feed.name.clone(),
                    result: RefreshResult::Failed(failure.message),
                    elapsed: started.elapsed(),
                    not_before: None,
                    consecutive_failures: 0,
                    storage_unavailable: failure.storage,
                };
            }
        };
        let (result, not_before, consecutive_failures, storage_unavailable) = match run(ctx, feed, state).await {
            Ok((result, not_before)) => (result, not_before, 0, false),
            Err(failure) if failure.lease_lost => {
                warn!("the lease ran out mid-poll and another daemon claimed the feed: this poll's results are dropped");
                (RefreshResult::Elsewhere(Elsewhere::LeaseLost), None, 0, false)
            }
            Err(failure) if failure.storage => {
                // Nothing can be recorded either; the scheduler pauses polling.
                tracing::error!(error = %failure.message, "the database cannot take writes: polling pauses, serving goes on");
                (RefreshResult::Failed(failure.message), None, 0, true)
            }
            Err(failure) => {
                let (r, nb, n) = record_failure(ctx, feed, failure).await;
                (r, nb, n, false)
            }
        };
        match &result {
            RefreshResult::Stored(c) => info!(
                new = c.new,
                updated = c.updated,
                unchanged = c.unchanged,
                "polled"
            ),
            RefreshResult::NotModified => info!("polled: not modified"),
            RefreshResult::Deferred(why) => {
                info!(reason = %why, "server asked to wait; not counted as a failure")
            }
            RefreshResult::Gone => {
                warn!("410 Gone: polling stopped; remove the feed from the config")
            }
            RefreshResult::Failed(_) | RefreshResult::Elsewhere(_) => {}
        }
        if claimed && ctx.store.is_shared() {
            // Other daemons may claim it at once rather than when the lease ends.
            if let Err(e) = ctx.store.release(feed.url.as_str()).await {
                tracing::debug!(error = %e, "could not release the feed's lease; it runs out by itself");
            }
        }
        ctx.metrics.refresh(&result, started.elapsed());
        RefreshReport {
            url: feed.url.to_string(),
            name: feed.name.clone(),
            result,
            elapsed: started.elapsed(),
            not_before,
            consecutive_failures,
            storage_unavailable,
        }
    }
    .instrument(span)
    .await
}

/// Claims the feed when the database is shared by several daemons
/// (PostgreSQL): `Ok(Some(state))` when this daemon polls it now (the state
/// read with the claim), `Err` with why not. One daemon on SQLite needs no
/// claim and pays nothing for it: `Ok(None)`.
async fn claim(
    ctx: &Context,
    feed: &FeedConfig,
) -> Result<Result<Option<FeedState>, Elsewhere>, Failure> {
    if !ctx.store.is_shared() {
        return Ok(Ok(None));
    }
    let (store, url) = (ctx.store.clone(), feed.url.to_string());
    match store::blocking(move || store.claim(&url)).await {
        Ok(Claim::Granted(state)) => Ok(Ok(Some(*state))),
        Ok(Claim::Busy { until }) => Ok(Err(Elsewhere::Busy { until })),
        Ok(Claim::Moved(state)) => Ok(Err(Elsewhere::Polled(state))),
        Err(e) => Err(Failure::store(None, e)),
    }
}

/// Records why a refresh did not store anything: 429/503 with Retry-After defers
/// the feed (not a failure), 410 stops it, anything else counts as a failure.
async fn record_failure(
    ctx: &Context,
    feed: &FeedConfig,
    failure: Failure,
) -> (RefreshResult, Option<DateTime<Utc>>, u32) {
    let store = &ctx.store;
    let feed_ref = feed_ref(feed);
    let message = failure.message.clone();
    let now = Utc::now();
    let outcome = match (failure.status, failure.retry_after) {
        (Some(410), _) => store
            .record_gone(&feed_ref, now)
            .await
            .map(|_| (RefreshResult::Gone, None, 0)),
        (Some(status @ (429 | 503)), Some(until)) => {
            let why = format!(
                "{message}: retry after {}",
                until.format("%Y-%m-%d %H:%M:%S UTC")
            );
            store
                .record_deferred(&feed_ref, status, why.clone(), until, now)
                .await
                .map(|_| (RefreshResult::Deferred(why), Some(until), 0))
        }
        (status, _) => {
            warn!(error = %message, "feed failed; it is retried (with back-off while it keeps failing)");
            store
                .record_failure(&feed_ref, status, message.clone(), now)
                .await
                .map(|n| (RefreshResult::Failed(message), None, n))
        }
    };
    outcome.unwrap_or_else(|e| {
        if e.is_lease_lost() {
            warn!("the lease ran out mid-poll and another daemon claimed the feed: this poll's outcome is dropped");
            return (RefreshResult::Elsewhere(Elsewhere::LeaseLost), None, 0);
        }
        warn!(error = %e, "could not record the poll's outcome");
        (RefreshResult::Failed(failure.message), None, 1)
    })
}

struct Failure {
    status: Option<u16>,
    retry_after: Option<DateTime<Utc>>,
    message: String,
    /// The database refused the write (full, read-only, unreachable).
    storage: bool,
    /// Another daemon took the feed over (its lease ran out here).
    lease_lost: bool,
}

impl Failure {
    fn new(status: Option<u16>, message: impl ToString) -> Failure {
        Failure {
            status,
            retry_after: None,
            message: message.to_string(),
            storage: false,
            lease_lost: false,
        }
    }

    fn store(status: Option<u16>, e: store::StoreError) -> Failure {
        Failure {
            storage: e.is_unwritable(),
            lease_lost: e.is_lease_lost(),
            ..Failure::new(status, e)
        }
    }

    fn fetch(e: FetchError) -> Failure {
        let retry_after = match &e {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        };
        Failure {
            status: e.status(),
            retry_after,
            message: e.to_string(),
            storage: false,
            lease_lost: false,
        }
    }
}

/// The refresh itself; `claimed` is the poll state read with the claim.
async fn run(
    ctx: &Context,
    feed: &Arc<FeedConfig>,
    claimed: Option<FeedState>,
) -> Result<(RefreshResult, Option<DateTime<Utc>>), Failure> {
    let feed_ref = feed_ref(feed);
    let store = ctx.store.clone();
    let state = match claimed {
        Some(state) => state,
        None => {
            let url = feed.url.to_string();
            store::blocking(move || store.poll_state(&url))
                .await
                .map_err(|e| Failure::store(None, e))?
        }
    };
    // After a permanent redirect, the stored address is polled.
    let poll_url = state
        .current_url
        .as_deref()
        .and_then(|u| url::Url::parse(u).ok())
        .unwrap_or_else(|| feed.url.clone());
    let outcome = ctx
        .fetcher
        .fetch(&poll_url, &state.validators)
        .await
        .map_err(Failure::fetch)?;
    if let Some(to) = &outcome.moved_to {
        info!(from = %poll_url, to = %to, "feed moved permanently; polling the new address from now on (update the config)");
    }
    let moved_to = outcome.moved_to.as_ref().map(url::Url::to_string);
    let mut not_before = outcome.not_before;
    let body = match outcome.kind {
        FetchKind::NotModified { status } => {
            ctx.store
                .record_not_modified(&feed_ref, status, moved_to, not_before, Utc::now())
                .await
                .map_err(|e| Failure::store(Some(status), e))?;
            return Ok((RefreshResult::NotModified, not_before));
        }
        FetchKind::Fetched(body) => body,
    };
    let status = body.status;
    let max_items = ctx.max_items_per_feed;
    let max_bytes = ctx.max_feed_bytes;
    let filters = ctx.filters.current();
    let feed_config = Arc::clone(feed);
    let full_text = feed.full_text;
    let ingest = ctx.ingest.read().unwrap_or_else(|p| p.into_inner()).clone();
    let dedup_window_secs = ingest.dedup_window_secs;
    let permit = ctx.cpu.clone().acquire_owned().await.ok(); // never closed
    let (parsed, permit) = tokio::task::spawn_blocking(move || {
        let parsed = parse::feed(
            &body.bytes,
            &body.base_url,
            body.content_type.as_deref(),
            max_bytes,
            max_items,
        );
        (parsed.map(|p| (p, body.validators)), permit)
    })
    .await
    .map_err(|e| Failure::new(Some(status), format!("parse task failed: {e}")))?;
    let (parsed, validators) = parsed.map_err(|e| Failure::new(Some(status), e))?;
    if !parsed.repairs.is_empty() {
        tracing::debug!(repairs = ?parsed.repairs, "feed document repaired before parsing");
    }
    let (title, site_link, ttl) = (
        parsed.title.clone(),
        parsed.site_link.clone(),
        parsed.ttl_minutes,
    );
    // What is stored of the feed's newest items, so that entries stored
    // unchanged are not prepared again: as many as the document has entries,
    // and some (a document lists the newest; one it re-lists from further
    // back is prepared, and the writer finds it unchanged). A feed that never
    // yielded an item has nothing stored; a failed read only costs that.
    let stored = if state.last_new_item.is_some() && !parsed.entries.is_empty() {
        let store = ctx.store.clone();
        let url = feed.url.to_string();
        let newest = parsed.entries.len() * 2 + 16;
        store::blocking(move || store.stored_hashes(&url, newest))
            .await
            .unwrap_or_else(|e| {
                tracing::debug!(error = %e, "stored items unread; every entry is prepared");
                Default::default()
            })
    } else {
        Default::default()
    };
    let ((items, unchanged), (names, matches)) = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let (mut items, unchanged) =
            normalize::changed_entries(&parsed, &ingest.link_schemes, &stored);
        let now = Utc::now();
        for item in &mut items {
            let time = crate::dedup::item_time(item.published, now);
            if ingest.stories && crate::dedup::printable(time, now, dedup_window_secs) {
                item.print = print_of(&item.title, item.summary.as_ref(), item.content.as_ref());
            }
        }
        let verdicts = membership::verdicts(&filters, &feed_config, &items, Utc::now());
        ((items, unchanged), verdicts)
    })
    .await
    .map_err(|e| Failure::new(Some(status), format!("preparing the entries failed: {e}")))?;
    if let Some(minutes) = ttl.filter(|m| *m > 0) {
        // <ttl>: the publisher's own floor on the polling interval.
        let ttl_floor = Utc::now() + chrono::Duration::minutes(i64::from(minutes)).min(MAX_DELAY);
        not_before = Some(not_before.map_or(ttl_floor, |t| t.max(ttl_floor)));
    }
    let refresh = Refresh {
        status,
        validators,
        title,
        site_link,
        items,
        filters: names,
        matches,
        full_text,
        moved_to,
        not_before,
        dedup_window_secs,
    };
    let mut counts = ctx
        .store
        .record_refresh(&feed_ref, refresh, Utc::now())
        .await
        .map_err(|e| Failure::store(Some(status), e))?;
    counts.unchanged += unchanged;
    if feed.full_text {
        extract_pending(ctx, feed).await;
    }
    if feed.retention.is_set() {
        let r = feed.retention;
        let mut pruned = 0;
        let outcome = loop {
            match ctx
                .store
                .prune(&feed_ref, r.keep_items, r.keep_days, Utc::now())
                .await
            {
                Ok(n) if n == store::PRUNE_CHUNK => pruned += n,
                Ok(n) => break Ok(pruned + n),
                Err(e) => break Err(e),
            }
        };
        match outcome {
            Ok(0) => {}
            Ok(pruned) => info!(pruned, "retention: old items pruned"),
            Err(e) => warn!(error = %e, pruned, "retention: pruning failed"),
        }
    }
    Ok((RefreshResult::Stored(counts), not_before))
}

/// What story de-duplication keeps of an item's text.
fn print_of(
    title: &str,
    summary: Option<&HtmlText>,
    content: Option<&HtmlText>,
) -> Option<crate::model::StoryPrint> {
    fn text(b: Option<&HtmlText>) -> &str {
        b.map_or("", |b| b.text.as_str())
    }
    crate::dedup::print(title, text(summary), text(content))
}

/// Fetches and parses a feed without storing anything (`import-opml --validate`):
/// the number of entries, or why it cannot be read.
pub async fn probe(
    fetcher: &Fetcher,
    url: &str,
    max_bytes: usize,
    max_items: usize,
) -> Result<usize, String> {
    let url = url::Url::parse(url).map_err(|e| format!("not a URL: {e}"))?;
    let outcome = fetcher
        .fetch(&url, &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    match outcome.kind {
        FetchKind::NotModified { .. } => Ok(0),
        FetchKind::Fetched(body) => tokio::task::spawn_blocking(move || {
            parse::feed(
                &body.bytes,
                &body.base_url,
                body.content_type.as_deref(),
                max_bytes,
                max_items,
            )
            .map(|f| f.entries.len())
            .map_err(|e| e.to_string())
        })
        .await
        .map_err(|e| format!("parse task failed: {e}"))?,
    }
}

/// Fetches and extracts the article of each item waiting for it. A failure is
/// recorded on the item (and logged); the feed's own content is kept.
async fn extract_pending(ctx: &Context, feed: &FeedConfig) {
    let (store, url) = (ctx.store.clone(), feed.url.to_string());
    let pending = match store::blocking(move || {
        store.pending_extractions(&url, ARTICLES_PER_REFRESH)
    })
    .await
    {
        Ok(p) => p,
        Err(e) => {
            warn!(error = %e, "cannot list items waiting for full text");
            return;
        }
    };
    let (stories, window_secs) = {
        let ingest = ctx.ingest.read().unwrap_or_else(|p| p.into_inner());
        (ingest.stories, ingest.dedup_window_secs)
    };
    for (item_id, item) in pending {
        let Some(link) = item.link.clone() else {
            continue;
        };
        // As at ingest: a print only when an output de-duplicates and the
        // item (placed by its date) is still in the window.
        let printed = stories && crate::dedup::printable(item.date, Utc::now(), window_secs);
        let (article, print, outcome) = match article_for(ctx, &item, &link, printed).await {
            Ok((article, print)) => (Some(article), print, "ok".to_string()),
            Err(reason) => (None, None, reason),
        };
        ctx.metrics.extraction(&outcome);
        if article.is_some() {
            info!(%link, "full text extracted");
        } else {
            warn!(%link, reason = %outcome, "full text not used; keeping the feed's content");
        }
        let mut updated = item.clone();
        if let Some(a) = &article {
            updated.content = Some(a.clone());
        }
        let (names, matched) =
            membership::verdicts_stored(&ctx.filters.current(), feed, &updated, Utc::now());
        let extraction = store::Extraction {
            item_id,
            link,
            article,
            outcome,
            filters: names,
            matched,
            print,
        };
        let recorded = ctx
            .store
            .record_extraction(&feed_ref(feed), extraction)
            .await;
        if let Err(e) = recorded {
            warn!(error = %e, "cannot store the extraction result");
        }
    }
}

/// The article (sanitised HTML and text) and, when `printed`, the print of the
/// item's text with it (made on the extraction's blocking thread: it is work
/// linear in the article), or why the article is not used.
async fn article_for(
    ctx: &Context,
    item: &crate::model::StoredItem,
    link: &str,
    printed: bool,
) -> Result<(HtmlText, Option<crate::model::StoryPrint>), String> {
    let url = url::Url::parse(link).map_err(|e| format!("failed: bad link: {e}"))?;
    let page = ctx
        .pages
        .fetch(&url)
        .await
        .map_err(|e| format!("failed: {e}"))?;
    let sites = ctx.sites.read().unwrap_or_else(|p| p.into_inner()).clone();
    let feed_chars = item
        .content
        .as_ref()
        .or(item.summary.as_ref())
        .map_or(0, |b| b.text.chars().count());
    let (title, summary) = (item.title.clone(), item.summary.clone());
    let permit = ctx.cpu.clone().acquire_owned().await.ok(); // never closed
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let html = extract::decode_html(&page.bytes, page.content_type.as_deref());
        let article = extract::article(&html, &page.final_url, &sites).map_err(|e| format!("failed: {e}"))?;
        let article_chars = article.text.chars().count();
        if article_chars <= feed_chars {
            return Err(format!(
                "kept the feed's content: the article text ({article_chars} characters) is not longer than the feed's ({feed_chars})"
            ));
        }
        let article = HtmlText {
            html: article.html,
            text: article.text,
        };
        let print = printed
            .then(|| print_of(&title, summary.as_ref(), Some(&article)))
            .flatten();
        Ok((article, print))
    })
    .await
    .map_err(|e| format!("failed: extractor task: {e}"))?
}
