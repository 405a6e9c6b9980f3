//! Start order, signals and shutdown of the long-running daemon, and the one-shot
//! poll behind `tidings once`.
//!
//! Start: open the database (migrations run), bind the listener, then start
//! scheduling. Stop (SIGINT/SIGTERM or the injected future): stop scheduling, let
//! in-flight refreshes finish their writes, let the server finish in-flight
//! requests, return.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use tracing::{error, info, warn};

use crate::config::{self, Config};
use crate::fetch::{FetchSettings, Fetcher, PageFetcher};
use crate::membership::{self, Filters};
use crate::metrics::Metrics;
use crate::model::RefreshReport;
use crate::pipeline::{self, Context};
use crate::publish::{self, AppState};
use crate::store::{self, FeedRef, Store};
use crate::{scheduler, systemd};

/// `config`'s timeouts, with a cap on the body of `max_bytes`.
fn fetch_settings(config: &Config, max_bytes: usize) -> FetchSettings {
    FetchSettings {
        timeout: config.daemon.timeout,
        connect_timeout: config.daemon.connect_timeout,
        max_bytes,
    }
}

/// The feed client with `config`'s timeouts, size cap and per-host limit.
pub fn feed_fetcher(config: &Config) -> anyhow::Result<Fetcher> {
    Ok(
        Fetcher::new(&fetch_settings(config, config.daemon.max_feed_bytes))?
            .with_host_limit(config.daemon.feeds_per_host),
    )
}

/// Opens the store and builds the refresh context for `config`.
pub async fn context(config: &Config) -> anyhow::Result<Context> {
    let path = config.daemon.database.clone();
    let store = store::blocking(move || Store::open(&path)).await?;
    let fetcher = feed_fetcher(config)?;
    register(&store, config).await?;
    let pages = PageFetcher::new(
        &fetch_settings(config, config.daemon.max_page_bytes),
        config.daemon.per_host_concurrency,
        config.daemon.allow_private_articles,
    )?;
    let ctx = Context {
        fetcher,
        store,
        max_items_per_feed: config.daemon.max_items_per_feed,
        max_feed_bytes: config.daemon.max_feed_bytes,
        filters: Filters::new(config),
        pages,
        sites: Arc::new(std::sync::RwLock::new(Arc::new(config.sites.clone()))),
        ingest: Arc::new(std::sync::RwLock::new(Arc::new(pipeline::Ingest::of(
            config,
        )))),
        metrics: Arc::new(Metrics::default()),
        cpu: pipeline::cpu_slots(),
    };
    sync_memberships(&ctx, config).await?;
    Ok(ctx)
}

/// Polls every feed once, at most `concurrency` at a time; reports in config order.
pub async fn once(config: &Config) -> anyhow::Result<Vec<RefreshReport>> {
    let ctx = context(config).await?;
    let reports = once_with(&ctx, config).await;
    // Leave the database file complete on its own (the WAL can hold ~40 MB).
    let store = ctx.store.clone();
    if let Err(e) = store::blocking(move || store.checkpoint()).await {
        warn!(error = %e, "WAL checkpoint failed (the next start replays it)");
    }
    Ok(reports)
}

/// [`once`] with an existing context (its store's change counter then tells a
/// publisher sharing it that items changed).
pub async fn once_with(ctx: &Context, config: &Config) -> Vec<RefreshReport> {
    let mut reports: Vec<(usize, RefreshReport)> =
        futures_util::stream::iter(config.feeds.iter().enumerate())
            .map(|(i, feed)| {
                let ctx = ctx.clone();
                async move { (i, pipeline::refresh(&ctx, feed).await) }
            })
            .buffer_unordered(config.daemon.concurrency)
            .collect()
            .await;
    reports.sort_by_key(|(i, _)| *i);
    reports.into_iter().map(|(_, r)| r).collect()
}

/// Re-evaluates every filtered output whose rules, term lists or feeds changed
/// since its stored memberships were computed.
pub async fn sync_memberships(ctx: &Context, config: &Config) -> anyhow::Result<()> {
    let tags: HashMap<String, Vec<String>> = config
        .feeds
        .iter()
        .map(|f| (f.url.to_string(), f.tags.clone()))
        .collect();
    let tags = Arc::new(tags);
    for filter in ctx.filters.current().iter() {
        let (store, name) = (ctx.store.clone(), filter.name.clone());
        if store::blocking(move || store.output_fingerprint(&name))
            .await?
            .as_deref()
            == Some(filter.fingerprint.as_str())
        {
            continue;
        }
        let started = std::time::Instant::now();
        let (store, filter, tags) = (ctx.store.clone(), filter.clone(), tags.clone());
        let name = filter.name.clone();
        let (evaluated, matched) = store::blocking(move || {
            let feeds: Vec<String> = filter.feeds.iter().cloned().collect();
            let now = Utc::now();
            let matches = |item: &crate::model::StoredItem| {
                let no_tags = Vec::new();
                let item_tags = tags.get(&item.feed_url).unwrap_or(&no_tags);
                membership::stored_matches(&filter.name, &filter.rules, item, item_tags, now)
            };
            store.reevaluate(&filter.name, &feeds, &filter.fingerprint, &matches)
        })
        .await?;
        info!(output = %name, evaluated, matched, elapsed_ms = started.elapsed().as_millis() as u64, "filter changed: stored items re-evaluated");
    }
    Ok(())
}

/// Writes what the store needs to know of a config: its feeds (names updated),
/// which feeds each output draws on, the database size cap. One blocking call,
/// one transaction per table, at start-up and on reload.
async fn register(store: &Store, config: &Config) -> anyhow::Result<()> {
    let feeds = config.feeds.clone();
    let outputs: Vec<(String, Arc<[String]>)> = publish::outputs_of(config)
        .into_iter()
        .map(|o| (o.name, o.feed_urls))
        .collect();
    let (s, limit) = (store.clone(), config.daemon.max_database_mb);
    store.set_lease(config.daemon.lease.as_secs());
    store::blocking(move || {
        let refs: Vec<FeedRef> = feeds.iter().map(|f| pipeline::feed_ref(f)).collect();
        s.register_feeds(&refs, Utc::now())?;
        s.set_output_feeds(&outputs)?;
        s.set_size_limit(limit)
    })
    .await?;
    Ok(())
}

/// Registers the config's feeds and works out when each is first due.
async fn plan(store: &Store, config: &Config) -> anyhow::Result<scheduler::Plan> {
    let now = Utc::now();
    let tz = config.daemon.timezone;
    // The feeds are registered (`register`); read all their states in one query.
    let s = store.clone();
    let mut states = store::blocking(move || s.poll_states()).await?;
    let mut feeds = Vec::with_capacity(config.feeds.len());
    for feed in &config.feeds {
        let last = states.remove(feed.url.as_str()).unwrap_or_default();
        if last.gone {
            warn!(feed = %feed.name, url = %feed.url, "feed answered 410 Gone earlier; not polled (remove it from the config)");
            continue;
        }
        let due = scheduler::initial_due(feed, tz, last.last_poll, now);
        let due = match last.not_before {
            Some(floor) if floor > due => {
                scheduler::next_after_refresh(feed, tz, now, Some(floor), 0, false)
            }
            _ => due,
        };
        feeds.push((feed.clone(), due));
    }
    Ok(scheduler::Plan { tz, feeds })
}

/// Runs the daemon on `listener` until `shutdown` resolves. SIGHUP re-reads the
/// config file: feeds, schedules and outputs change without restarting the
/// listener; an invalid file is rejected with `tidings check`'s messages and the
/// running config stays.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Before anything opens files: the connection cap is set below this limit.
    let descriptors = publish::server::raise_descriptor_limit();
    let ctx = context(&config).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let state =
        Arc::new(AppState::new(ctx.store.clone(), &config).with_metrics(ctx.metrics.clone()));
    let limits = state.limits();
    info!(
        max_connections = limits.max_connections,
        open_file_limit = descriptors,
        client_timeout_secs = limits.client_timeout.as_secs(),
        request_timeout_secs = limits.request_timeout.as_secs(),
        "HTTP connection limits"
    );
    if let Some(addr) = config.daemon.metrics_listen {
        let listener = TcpListener::bind(addr)
            .await
            .with_context(|| format!("cannot listen on {addr} for metrics"))?;
        let mut stop = stop_rx.clone();
        info!(%addr, "serving Prometheus metrics at /metrics");
        tokio::spawn(publish::serve_metrics_within(
            listener,
            ctx.store.clone(),
            ctx.metrics.clone(),
            publish::server::Limits {
                max_connections: publish::server::METRICS_CONNECTIONS,
                ..limits
            },
            async move {
                let _ = stop.wait_for(|s| *s).await;
            },
        ));
    }
    let mut server_stop = stop_rx.clone();
    let addr = listener.local_addr()?;
    let server = tokio::spawn(publish::serve(listener, state.clone(), async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));
    // Open a read connection now, so the first request does not pay for it.
    let s = ctx.store.clone();
    store::blocking(move || s.health()).await?;
    let initial = plan(&ctx.store, &config).await?;
    let (plan_tx, plan_rx) = mpsc::channel(4);
    tokio::spawn(reload_on_sighup(
        config.clone(),
        ctx.clone(),
        state,
        plan_tx,
        stop_rx.clone(),
    ));
    tokio::spawn(backfill_text(ctx.store.clone(), stop_rx.clone()));
    tokio::spawn(expire_prints(ctx.clone(), stop_rx.clone()));
    info!(%addr, feeds = config.feeds.len(), outputs = config.outputs.len(), "tidings is serving");
    systemd::ready();
    systemd::spawn_watchdog(ctx.store.clone(), stop_rx.clone());

    let refresh_ctx = ctx.clone();
    scheduler::run(
        initial,
        config.daemon.concurrency,
        move |feed| {
            let ctx = refresh_ctx.clone();
            async move { pipeline::refresh(&ctx, &feed).await }
        },
        plan_rx,
        stop_rx,
        config.daemon.shutdown_grace,
    )
    .await;
    systemd::stopping();
    info!("scheduler stopped; waiting for the HTTP server");
    server
        .await
        .context("HTTP server task")?
        .context("HTTP server")?;
    let store = ctx.store.clone();
    if let Err(e) = store::blocking(move || store.checkpoint()).await {
        warn!(error = %e, "WAL checkpoint at shutdown failed (the next start replays it)");
    }
    info!("stopped");
    Ok(())
}

/// Prepares, in the background and a chunk at a time, the bodies of items
/// stored by a version of tidings that did not keep their text.
async fn backfill_text(store: Store, stop: watch::Receiver<bool>) {
    let (mut after, mut done) = (0, 0);
    while !*stop.borrow() {
        let s = store.clone();
        match store::blocking(move || s.backfill_text(after)).await {
            Ok(Some((last, n))) => {
                after = last;
                done += n;
            }
            Ok(None) => break,
            Err(e) => {
                warn!(error = %e, "preparing older items' text failed; they are prepared when read");
                return;
            }
        }
        tokio::task::yield_now().await;
    }
    if done > 0 {
        info!(items = done, "older items' text prepared and kept");
    }
}

/// Forgets, every hour, the story prints (signatures, lookup keys) of items no
/// new item can be compared with any more: older than the dedup window, with a
/// day of margin for late-dated arrivals.
async fn expire_prints(ctx: Context, mut stop: watch::Receiver<bool>) {
    loop {
        let window = ctx
            .ingest
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .dedup_window_secs;
        let cutoff = Utc::now().timestamp() - window - crate::dedup::PRINT_MARGIN_SECS;
        loop {
            let store = ctx.store.clone();
            match store::blocking(move || store.expire_prints(cutoff)).await {
                Ok(500) => tokio::task::yield_now().await,
                Ok(_) => break,
                Err(e) => {
                    warn!(error = %e, "forgetting old story prints failed; retried in an hour");
                    break;
                }
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(3600)) => {}
            _ = stop.changed() => return,
        }
    }
}

async fn reload_on_sighup(
    mut current: Config,
    ctx: Context,
    state: Arc<AppState>,
    plans: mpsc::Sender<scheduler::Plan>,
    mut stop: watch::Receiver<bool>,
) {
    #[cfg(unix)]
    let mut hup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(s) => s,
        Err(e) => {
            warn!(error = %e, "cannot listen for SIGHUP; reload needs a restart");
            return;
        }
    };
    loop {
        #[cfg(unix)]
        tokio::select! {
            _ = hup.recv() => {}
            _ = stop.changed() => return,
        }
        #[cfg(not(unix))]
        {
            let _ = stop.wait_for(|s| *s).await;
            return;
        }
        systemd::reloading();
        info!(path = %current.path.display(), "SIGHUP: reloading the config");
        match reload(&current, &ctx, &state, &plans).await {
            Ok(new) => {
                info!(
                    feeds = new.feeds.len(),
                    outputs = new.outputs.len(),
                    "config reloaded"
                );
                current = new;
            }
            Err(e) => error!("config reload rejected, the running config stays:\n{e:#}"),
        }
        systemd::ready();
    }
}

async fn reload(
    current: &Config,
    ctx: &Context,
    state: &AppState,
    plans: &mpsc::Sender<scheduler::Plan>,
) -> anyhow::Result<Config> {
    let path = current.path.clone();
    let new = tokio::task::spawn_blocking(move || config::load(&path)).await??;
    let (old, now) = (&current.daemon, &new.daemon);
    if now.database != old.database
        || now.listen != old.listen
        || now.metrics_listen != old.metrics_listen
        || (now.client_timeout, now.request_timeout, now.max_connections)
            != (old.client_timeout, old.request_timeout, old.max_connections)
    {
        warn!(
            "changes to [daemon] database, listen, metrics_listen, client_timeout_secs, \
             request_timeout_secs and max_connections take effect at the next restart"
        );
    }
    register(&ctx.store, &new).await?;
    let plan = plan(&ctx.store, &new).await?;
    ctx.filters.set(&new);
    *ctx.sites.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(new.sites.clone());
    *ctx.ingest.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(pipeline::Ingest::of(&new));
    sync_memberships(ctx, &new).await?;
    plans.send(plan).await.context("scheduler stopped")?;
    state.update(&new);
    Ok(new)
}

/// Binds the configured listen address.
pub async fn bind(config: &Config) -> anyhow::Result<TcpListener> {
    TcpListener::bind(config.daemon.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.daemon.listen))
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => info!("SIGINT: shutting down"),
            _ = term.recv() => info!("SIGTERM: shutting down"),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
