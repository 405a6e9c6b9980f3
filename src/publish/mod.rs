//! The HTTP server: every output as RSS 2.0 at `/feeds/<name>.xml`, a status page
//! at `/`, and `/healthz`.
//!
//! Publishing only reads. A rendered output is cached with the store's change
//! counter and re-rendered only when items changed, so a subscriber's poll costs a
//! hash-map lookup; ETag / Last-Modified give 304s, and responses are compressed
//! (gzip, brotli) per `Accept-Encoding`.

mod page;
mod render;

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use render::{ChannelInfo, rss, sanitize};

use crate::config::Config;
use crate::normalize::hex_digest;
use crate::store::{self, Store};

/// One output as the server needs it.
#[derive(Debug, Clone)]
pub struct OutputSpec {
    /// URL name.
    pub name: String,
    /// Channel title.
    pub title: String,
    /// Channel description.
    pub description: String,
    /// Configured URLs of the feeds it draws from.
    pub feed_urls: Vec<String>,
    /// Newest items served.
    pub limit: usize,
}

/// The outputs of a config.
pub fn outputs_of(config: &Config) -> Vec<OutputSpec> {
    config
        .outputs
        .iter()
        .map(|o| OutputSpec {
            name: o.name.clone(),
            title: o.title.clone(),
            description: o.description.clone(),
            feed_urls: config.feeds_of(o).map(|f| f.url.to_string()).collect(),
            limit: o.limit,
        })
        .collect()
}

struct Rendered {
    changes: u64,
    body: axum::body::Bytes,
    etag: String,
    last_modified: DateTime<Utc>,
}

/// Shared server state.
pub struct AppState {
    store: Store,
    outputs: Vec<OutputSpec>,
    feeds: Vec<(String, String)>,
    cache: Mutex<HashMap<(String, String), Arc<Rendered>>>,
}

impl AppState {
    /// State for serving `config`'s outputs from `store`.
    pub fn new(store: Store, config: &Config) -> AppState {
        AppState {
            store,
            outputs: outputs_of(config),
            feeds: config
                .feeds
                .iter()
                .map(|f| (f.name.clone(), f.url.to_string()))
                .collect(),
            cache: Mutex::new(HashMap::new()),
        }
    }
}

/// The router, for serving or for tests.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/healthz", get(healthz))
        .route("/feeds/{file}", get(feed))
        .layer(CompressionLayer::new().gzip(true).br(true))
        .with_state(state)
}

/// Serves until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    match store::blocking(move || store.item_count()).await {
        Ok(n) => (StatusCode::OK, format!("ok: {n} items\n")).into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        )
            .into_response(),
    }
}

async fn feed(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(name) = file.strip_suffix(".xml") else {
        return not_found();
    };
    let Some(spec) = state.outputs.iter().find(|o| o.name == name).cloned() else {
        return not_found();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.chars()
                .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or("localhost")
        .to_string();
    let rendered = match cached_or_render(&state, &spec, &host).await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(output = %spec.name, error = %e, "cannot render output");
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot read the database: {e}\n"),
            )
                .into_response();
        }
    };
    let mut response = if not_modified(&headers, &rendered) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, rendered.body.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/rss+xml; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    if let Ok(v) = HeaderValue::from_str(&rendered.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(rendered.last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    response
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such feed\n").into_response()
}

async fn cached_or_render(
    state: &Arc<AppState>,
    spec: &OutputSpec,
    host: &str,
) -> Result<Arc<Rendered>, store::StoreError> {
    let key = (spec.name.clone(), host.to_string());
    let changes = state.store.changes();
    if let Some(hit) = state
        .cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .filter(|hit| hit.changes == changes)
    {
        return Ok(hit.clone());
    }
    let store = state.store.clone();
    let spec = spec.clone();
    let host = host.to_string();
    let rendered = store::blocking(move || {
        let items = store.items_of(&spec.feed_urls, spec.limit)?;
        let self_url = format!("http://{host}/feeds/{}.xml", spec.name);
        let site_url = format!("http://{host}/");
        let body = render::rss(
            &ChannelInfo {
                title: &spec.title,
                description: &spec.description,
                self_url: &self_url,
                site_url: &site_url,
            },
            &items,
        );
        let etag = format!("W/\"{}\"", &hex_digest(&body)[..24]);
        let last_modified = items
            .iter()
            .map(|i| i.modified)
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Ok(Arc::new(Rendered {
            changes,
            body: body.into(),
            etag,
            last_modified,
        }))
    })
    .await?;
    state
        .cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, rendered.clone());
    Ok(rendered)
}

/// If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
fn not_modified(headers: &HeaderMap, r: &Rendered) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = r.etag.trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
    }
    if let Some(ims) = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
    {
        return r.last_modified.timestamp() <= ims.timestamp();
    }
    false
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}
