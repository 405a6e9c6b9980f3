//! The HTTP server: every output as RSS 2.0 (`/feeds/<name>.xml`), Atom 1.0
//! (`.atom`) and JSON Feed 1.1 (`.json`), and as a page to read and tune it by
//! (`.html`); `/opml`, a status page at `/`, `/healthz`.
//!
//! Publishing only reads. A rendered document is cached with the store's change
//! counter and re-rendered only when items changed, so a subscriber's poll costs a
//! hash-map lookup; ETag / Last-Modified give 304s; responses are compressed (gzip,
//! brotli) per `Accept-Encoding`. A private output (with a `token`) answers 404
//! unless the token is given, so it cannot be discovered.

mod html;
mod page;
mod render;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex, RwLock};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub use render::{ChannelInfo, Format, render};

use crate::config::Config;
use crate::metrics::Metrics;
use crate::model::StoredItem;
use crate::normalize::{hex_digest, story_key};
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
    /// Configured URLs of the feeds it draws from. Shared: a render clones the
    /// spec, and an output over 10,000 feeds would copy 10,000 strings each time.
    pub feed_urls: Arc<[String]>,
    /// Newest items served.
    pub limit: usize,
    /// Access token of a private output.
    pub token: Option<String>,
    /// Whether a filter selects its items (then its stored memberships are served).
    pub filtered: bool,
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
            token: o.token.clone(),
            filtered: o.filter.is_some(),
        })
        .collect()
}

struct Rendered {
    changes: u64,
    version: u64,
    generation: u64,
    body: Bytes,
    etag: String,
    last_modified: DateTime<Utc>,
}

type CacheKey = (String, Format, String);

/// What the server publishes, from one config; replaced whole on reload.
struct View {
    generation: u64,
    outputs: Vec<OutputSpec>,
    feeds: Vec<(String, String)>,
    /// The whole config, for the pages that explain outputs (`html`).
    config: Arc<Config>,
}

impl View {
    fn of(config: &Config, generation: u64) -> View {
        View {
            generation,
            config: Arc::new(config.clone()),
            outputs: outputs_of(config),
            feeds: config
                .feeds
                .iter()
                .map(|f| (f.name.clone(), f.url.to_string()))
                .collect(),
        }
    }
}

/// Shared server state.
pub struct AppState {
    store: Store,
    view: RwLock<Arc<View>>,
    cache: Mutex<HashMap<CacheKey, Arc<Rendered>>>,
    metrics: Arc<Metrics>,
}

impl AppState {
    /// State for serving `config`'s outputs from `store`.
    pub fn new(store: Store, config: &Config) -> AppState {
        AppState {
            store,
            view: RwLock::new(Arc::new(View::of(config, 0))),
            cache: Mutex::new(HashMap::new()),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// Counts requests in `metrics` (shared with the pipeline).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> AppState {
        self.metrics = metrics;
        self
    }

    /// Switches to a reloaded config's outputs; requests in flight finish with the
    /// old ones, and documents rendered for the old config are never served again.
    pub fn update(&self, config: &Config) {
        let mut view = self.view.write().unwrap_or_else(|p| p.into_inner());
        *view = Arc::new(View::of(config, view.generation + 1));
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn view(&self) -> Arc<View> {
        self.view.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The router, for serving or for tests.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(page::index))
        .route("/opml", get(page::opml))
        .route("/healthz", get(healthz))
        .route("/feeds/{file}", get(feed))
        .route("/feeds/{token}/{file}", get(feed_with_token))
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

/// Serves `/metrics` (Prometheus text) on its own listener until `shutdown`.
pub async fn serve_metrics(
    listener: TcpListener,
    store: Store,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let (store, metrics) = (store.clone(), metrics.clone());
            async move {
                let now = chrono::Utc::now();
                let states = store::blocking(move || crate::status::feeds_by_state(&store, now))
                    .await
                    .unwrap_or_default();
                let mut r = metrics.render(&states).into_response();
                r.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                );
                r
            }
        }),
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let store = state.store.clone();
    match store::blocking(move || store.health()).await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("database unavailable: {e}\n"),
        )
            .into_response(),
    }
}

#[derive(serde::Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

async fn feed(
    state: State<Arc<AppState>>,
    Path(file): Path<String>,
    Query(q): Query<TokenQuery>,
    headers: HeaderMap,
) -> Response {
    if let Some(name) = file.strip_suffix(".html") {
        return html::output_page(state, name, q.token.as_deref(), false).await;
    }
    serve_output(state, &file, q.token.as_deref(), false, &headers).await
}

async fn feed_with_token(
    state: State<Arc<AppState>>,
    Path((token, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(name) = file.strip_suffix(".html") {
        return html::output_page(state, name, Some(&token), true).await;
    }
    serve_output(state, &file, Some(&token), true, &headers).await
}

/// Compares without an early exit, so response timing does not reveal a prefix.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

async fn serve_output(
    State(state): State<Arc<AppState>>,
    file: &str,
    token: Option<&str>,
    token_in_path: bool,
    headers: &HeaderMap,
) -> Response {
    let Some((name, format)) = Format::from_file(file) else {
        return not_found();
    };
    let view = state.view();
    let Some(spec) = view.outputs.iter().find(|o| o.name == name).cloned() else {
        return not_found();
    };
    let authorised = match (&spec.token, token) {
        (None, None) => true,
        (Some(want), Some(given)) => same_secret(want, given),
        _ => false,
    };
    if !authorised {
        return not_found();
    }
    let host = request_host(headers);
    let self_url = match (&spec.token, token_in_path) {
        (Some(t), true) => format!("http://{host}/feeds/{t}/{file}"),
        (Some(t), false) => format!("http://{host}/feeds/{file}?token={t}"),
        (None, _) => format!("http://{host}/feeds/{file}"),
    };
    let rendered =
        match cached_or_render(&state, view.generation, &spec, format, self_url, host).await {
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
    let is_304 = not_modified(headers, &rendered);
    state.metrics.output_request(is_304);
    let mut response = if is_304 {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, rendered.body.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if spec.token.is_some() {
            "private, max-age=60"
        } else {
            "public, max-age=60"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&rendered.etag) {
        h.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&http_date(rendered.last_modified)) {
        h.insert(header::LAST_MODIFIED, v);
    }
    response
}

/// The `Host` the client used (for absolute self links), when it is a plain
/// host[:port]; anything else is not echoed back.
fn request_host(headers: &HeaderMap) -> &str {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or("localhost")
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "no such feed\n").into_response()
}

async fn cached_or_render(
    state: &Arc<AppState>,
    generation: u64,
    spec: &OutputSpec,
    format: Format,
    self_url: String,
    host: &str,
) -> Result<Arc<Rendered>, store::StoreError> {
    let key = (self_url.clone(), format, spec.name.clone());
    let changes = state.store.changes();
    let cached = state
        .cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&key)
        .cloned();
    let cached = cached.filter(|hit| hit.generation == generation);
    // What to serve if the database cannot be read now (see below).
    let last_good = cached.clone();
    if let Some(hit) = cached.as_ref().filter(|hit| hit.changes == changes) {
        return Ok(hit.clone());
    }
    // Something changed somewhere; only this output's own items count.
    let version = state.store.version_of(&spec.name, &spec.feed_urls);
    if let Some(hit) = cached.filter(|hit| hit.version == version) {
        let fresh = Arc::new(Rendered {
            changes,
            version,
            generation,
            body: hit.body.clone(),
            etag: hit.etag.clone(),
            last_modified: hit.last_modified,
        });
        state
            .cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, fresh.clone());
        return Ok(fresh);
    }
    state.metrics.output_render();
    let store = state.store.clone();
    let spec_name = spec.name.clone();
    let spec = spec.clone();
    let site_url = format!("http://{host}/");
    let rendered = store::blocking(move || {
        let items = newest_distinct(spec.limit, |n| {
            store.output_items(&spec.name, spec.filtered, spec.feed_urls.len(), n)
        })?;
        let channel = ChannelInfo {
            name: &spec.name,
            title: &spec.title,
            description: &spec.description,
            self_url: &self_url,
            site_url: &site_url,
        };
        let body = render(format, &channel, &items);
        let etag = format!("W/\"{}\"", &hex_digest(&body)[..24]);
        let last_modified = items
            .iter()
            .map(|i| i.modified)
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Ok(Arc::new(Rendered {
            changes,
            version,
            generation,
            body: body.into(),
            etag,
            last_modified,
        }))
    })
    .await;
    let rendered = match (rendered, last_good) {
        (Ok(r), _) => r,
        // The database is unreachable (a shared PostgreSQL restarting): the
        // last render stands until it answers again; its change
        // notifications then bring the update.
        (Err(e), Some(old)) => {
            tracing::warn!(output = %spec_name, error = %e, "database unreadable: serving the last render");
            return Ok(old);
        }
        (Err(e), None) => return Err(e),
    };
    let mut cache = state.cache.lock().unwrap_or_else(|p| p.into_inner());
    // Host headers are client-controlled: bound the cache instead of trusting them.
    if cache.len() > 256 {
        cache.clear();
    }
    cache.insert(key, rendered.clone());
    Ok(rendered)
}

/// The newest `limit` items, each story once: an item whose canonical link was
/// already taken by a newer item (the same story from another feed) is skipped.
/// `fetch(n)` reads the newest `n` candidates, newest first.
pub fn newest_distinct(
    limit: usize,
    fetch_newest: impl Fn(usize) -> Result<Vec<StoredItem>, store::StoreError>,
) -> Result<Vec<StoredItem>, store::StoreError> {
    let mut fetch = limit + limit / 2 + 8;
    loop {
        let rows = fetch_newest(fetch)?;
        let exhausted = rows.len() < fetch;
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(limit);
        for item in rows {
            let key = item
                .canonical_link
                .as_deref()
                .map(story_key)
                .unwrap_or_else(|| item.uid.clone());
            if seen.insert(key) {
                out.push(item);
                if out.len() == limit {
                    return Ok(out);
                }
            }
        }
        if exhausted || fetch >= limit * 16 {
            return Ok(out);
        }
        fetch *= 2;
    }
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
