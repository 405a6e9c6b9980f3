//! The one orchestrator: a feed refresh runs fetch → parse → normalize → store.
//!
//! Only this module calls more than one stage. A failure at any stage is recorded
//! against the feed (last error, consecutive failures) and returned in the
//! [`RefreshReport`]; it is never propagated, so one bad feed cannot stop the others.
//! CPU-bound stages (parse, normalize) run on the blocking pool.

use std::time::Instant;

use chrono::Utc;
use tracing::{Instrument, info, info_span, warn};

use crate::config::FeedConfig;
use crate::fetch::Fetcher;
use std::sync::{Arc, RwLock};

use crate::extract::{self, SiteRule};
use crate::fetch::PageFetcher;
use crate::membership::{self, Filters};
use crate::model::{FetchOutcome, RefreshReport, RefreshResult};
use crate::publish::html_to_text;
use crate::store::{self, FeedRef, Refresh, Store};
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
    /// The outputs' compiled filters, evaluated at ingest.
    pub filters: Filters,
    /// The client for article pages (private-address guard, per-host cap).
    pub pages: PageFetcher,
    /// `[[site]]` extraction rules; replaced on reload.
    pub sites: Arc<RwLock<Arc<Vec<SiteRule>>>>,
}

/// Articles fetched per feed refresh, at most (the rest wait for the next poll).
const ARTICLES_PER_REFRESH: usize = 20;

/// Polls one feed and stores what it brings. Never fails: the outcome, including
/// any error, is in the report (and in the feed's stored state).
pub async fn refresh(ctx: &Context, feed: &FeedConfig) -> RefreshReport {
    let span = info_span!("refresh", feed = %feed.name, url = %feed.url);
    async {
        let started = Instant::now();
        let result = match run(ctx, feed).await {
            Ok(result) => result,
            Err(failure) => {
                let message = failure.message;
                warn!(error = %message, "feed failed; retrying at its next scheduled poll");
                let store = ctx.store.clone();
                let (url, name) = (feed.url.to_string(), feed.name.clone());
                let msg = message.clone();
                let recorded = store::blocking(move || {
                    store.record_failure(
                        &FeedRef {
                            url: &url,
                            name: &name,
                        },
                        failure.status,
                        &msg,
                        Utc::now(),
                    )
                })
                .await;
                if let Err(e) = recorded {
                    warn!(error = %e, "could not record the failure");
                }
                RefreshResult::Failed(message)
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
            RefreshResult::Failed(_) => {}
        }
        RefreshReport {
            url: feed.url.to_string(),
            name: feed.name.clone(),
            result,
            elapsed: started.elapsed(),
        }
    }
    .instrument(span)
    .await
}

struct Failure {
    status: Option<u16>,
    message: String,
}

impl Failure {
    fn new(status: Option<u16>, message: impl ToString) -> Failure {
        Failure {
            status,
            message: message.to_string(),
        }
    }
}

async fn run(ctx: &Context, feed: &FeedConfig) -> Result<RefreshResult, Failure> {
    let url = feed.url.to_string();
    let name = feed.name.clone();
    let store = ctx.store.clone();
    let state = {
        let url = url.clone();
        store::blocking(move || store.feed_state(&url))
            .await
            .map_err(|e| Failure::new(None, e))?
    };
    let outcome = ctx
        .fetcher
        .fetch(&feed.url, &state.validators)
        .await
        .map_err(|e| Failure::new(e.status(), e))?;
    let body = match outcome {
        FetchOutcome::NotModified { status } => {
            let store = ctx.store.clone();
            store::blocking(move || {
                store.record_not_modified(
                    &FeedRef {
                        url: &url,
                        name: &name,
                    },
                    status,
                    Utc::now(),
                )
            })
            .await
            .map_err(|e| Failure::new(Some(status), e))?;
            return Ok(RefreshResult::NotModified);
        }
        FetchOutcome::Fetched(body) => body,
    };
    let status = body.status;
    let max_items = ctx.max_items_per_feed;
    let filters = ctx.filters.current();
    let feed_config = feed.clone();
    let full_text = feed.full_text;
    let (parsed, items, (names, matches)) = tokio::task::spawn_blocking(move || {
        let parsed = parse::feed(&body.bytes, &body.final_url, max_items)?;
        let items = normalize::entries(&parsed);
        let verdicts = membership::verdicts(&filters, &feed_config, &items, Utc::now());
        Ok::<_, parse::ParseError>((
            (parsed.title, parsed.site_link, body.validators),
            items,
            verdicts,
        ))
    })
    .await
    .map_err(|e| Failure::new(Some(status), format!("parse task failed: {e}")))?
    .map_err(|e| Failure::new(Some(status), e))?;
    let store = ctx.store.clone();
    let counts = store::blocking(move || {
        let (title, site_link, validators) = &parsed;
        let refresh = Refresh {
            status,
            validators,
            title: title.as_deref(),
            site_link: site_link.as_deref(),
            items: &items,
            filters: &names,
            matches: &matches,
            full_text,
        };
        store.record_refresh(
            &FeedRef {
                url: &url,
                name: &name,
            },
            &refresh,
            Utc::now(),
        )
    })
    .await
    .map_err(|e| Failure::new(Some(status), e))?;
    if feed.full_text {
        extract_pending(ctx, feed).await;
    }
    Ok(RefreshResult::Stored(counts))
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
    for (item_id, item) in pending {
        let Some(link) = item.link.clone() else {
            continue;
        };
        let (article, outcome) = match article_for(ctx, &item, &link).await {
            Ok(article) => (Some(article), "ok".to_string()),
            Err(reason) => (None, reason),
        };
        if article.is_some() {
            info!(%link, "full text extracted");
        } else {
            warn!(%link, reason = %outcome, "full text not used; keeping the feed's content");
        }
        let mut updated = item.clone();
        if let Some((html, _)) = &article {
            updated.content = Some(html.clone());
        }
        let (names, matched) =
            membership::verdicts_stored(&ctx.filters.current(), feed, &updated, Utc::now());
        let store = ctx.store.clone();
        let recorded = store::blocking(move || {
            let article = article.as_ref().map(|(h, t)| (h.as_str(), t.as_str()));
            store.record_extraction(item_id, &link, article, &outcome, &names, &matched)
        })
        .await;
        if let Err(e) = recorded {
            warn!(error = %e, "cannot store the extraction result");
        }
    }
}

/// The article's (HTML, text), or why it is not used.
async fn article_for(
    ctx: &Context,
    item: &crate::model::StoredItem,
    link: &str,
) -> Result<(String, String), String> {
    let url = url::Url::parse(link).map_err(|e| format!("failed: bad link: {e}"))?;
    let page = ctx
        .pages
        .fetch(&url)
        .await
        .map_err(|e| format!("failed: {e}"))?;
    let sites = ctx.sites.read().unwrap_or_else(|p| p.into_inner()).clone();
    let feed_html = item
        .content
        .clone()
        .or_else(|| item.summary.clone())
        .unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        let html = extract::decode_html(&page.bytes, page.content_type.as_deref());
        let article = extract::article(&html, &page.final_url, &sites).map_err(|e| format!("failed: {e}"))?;
        let feed_chars = html_to_text(&feed_html).chars().count();
        let article_chars = article.text.chars().count();
        if article_chars <= feed_chars {
            return Err(format!(
                "kept the feed's content: the article text ({article_chars} characters) is not longer than the feed's ({feed_chars})"
            ));
        }
        Ok((article.html, article.text))
    })
    .await
    .map_err(|e| format!("failed: extractor task: {e}"))?
}
