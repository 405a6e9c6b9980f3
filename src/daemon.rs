//! Start order, signals and shutdown of the long-running daemon, and the one-shot
//! poll behind `tidings once`.
//!
//! Start: open the database (migrations run), bind the listener, then start
//! scheduling. Stop (SIGINT/SIGTERM or the injected future): stop scheduling, let
//! in-flight refreshes finish their writes, let the server finish in-flight
//! requests, return.

use std::future::Future;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use futures_util::StreamExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::info;

use crate::config::Config;
use crate::fetch::{FetchSettings, Fetcher};
use crate::model::RefreshReport;
use crate::pipeline::{self, Context};
use crate::publish::{self, AppState};
use crate::scheduler;
use crate::store::{self, FeedRef, Store};

/// Opens the store and builds the refresh context for `config`.
pub async fn context(config: &Config) -> anyhow::Result<Context> {
    let path = config.daemon.database.clone();
    let store = store::blocking(move || Store::open(&path)).await?;
    let fetcher = Fetcher::new(&FetchSettings {
        timeout: config.daemon.timeout,
        connect_timeout: config.daemon.connect_timeout,
        max_bytes: config.daemon.max_feed_bytes,
    })?;
    let feeds: Vec<(String, String)> = config
        .feeds
        .iter()
        .map(|f| (f.url.to_string(), f.name.clone()))
        .collect();
    let s = store.clone();
    store::blocking(move || {
        let now = Utc::now();
        feeds
            .iter()
            .try_for_each(|(url, name)| s.ensure_feed(&FeedRef { url, name }, now))
    })
    .await?;
    Ok(Context {
        fetcher,
        store,
        max_items_per_feed: config.daemon.max_items_per_feed,
    })
}

/// Polls every feed once, at most `concurrency` at a time; reports in config order.
pub async fn once(config: &Config) -> anyhow::Result<Vec<RefreshReport>> {
    let ctx = context(config).await?;
    Ok(once_with(&ctx, config).await)
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

/// Runs the daemon on `listener` until `shutdown` resolves.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let ctx = context(&config).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });

    let state = Arc::new(AppState::new(ctx.store.clone(), &config));
    let mut server_stop = stop_rx.clone();
    let addr = listener.local_addr()?;
    let server = tokio::spawn(publish::serve(listener, state, async move {
        let _ = server_stop.wait_for(|stop| *stop).await;
    }));
    info!(%addr, feeds = config.feeds.len(), outputs = config.outputs.len(), "tidings is serving");

    let now = Utc::now();
    let tz = config.daemon.timezone;
    let mut plan = Vec::with_capacity(config.feeds.len());
    for feed in &config.feeds {
        let (s, url) = (ctx.store.clone(), feed.url.to_string());
        let last = store::blocking(move || s.feed_state(&url)).await?.last_poll;
        plan.push((feed.clone(), scheduler::initial_due(feed, tz, last, now)));
    }
    let refresh_ctx = ctx.clone();
    scheduler::run(
        plan,
        tz,
        config.daemon.concurrency,
        move |feed| {
            let ctx = refresh_ctx.clone();
            async move { pipeline::refresh(&ctx, &feed).await }
        },
        stop_rx,
    )
    .await;
    info!("scheduler stopped; waiting for the HTTP server");
    server
        .await
        .context("HTTP server task")?
        .context("HTTP server")?;
    info!("stopped");
    Ok(())
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
