//! The HTTP server: every output as RSS 2.0 (`/feeds/<name>.xml`), Atom 1.0
//! (`.atom`) and JSON Feed 1.1 (`.json`), and as a page to read and tune it by
//! (`.html`); `/opml`, a status page at `/`, `/healthz`.
//!
//! Publishing only reads. A rendered document is cached with the store's change
//! counter and re-rendered only when items changed, so a subscriber's poll costs a
//! hash-map lookup; ETag / Last-Modified give 304s; responses are compressed (gzip,
//! brotli) per `Accept-Encoding`. A private output (with a `token`) answers 404
//! unless the token is given, so it cannot be discovered.
//!
//! Self links are absolute: `public_url` when configured, else built from the
//! request's `Host`. Either way a document is rendered once, with a mark where
//! the base URL goes, and the base is put in at serve time: nothing a client
//! sends decides what is rendered or how many cache entries there are.
//! Connections are served by [`server`] (timeouts, a connection cap).

mod html;
mod page;
mod render;
pub mod server;

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::{Arc, LazyLock, Mutex, RwLock};

use axum::Router;
use axum::body::{Body, Bytes};
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
    /// Each story once (`dedup`, default on), its entry from the first of
    /// these feeds that has a copy (`prefer`), else its first copy.
    pub stories: Option<Arc<[String]>>,
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
            stories: o.dedup.then(|| o.prefer.iter().cloned().collect()),
        })
        .collect()
}

/// Stands for the server's base URL in a rendered document (see [`Rendered`]).
/// Random per process, so no feed can put it into an item; made of characters
/// that every writer leaves unescaped.
static BASE_MARK: LazyLock<String> = LazyLock::new(|| {
    let random = |n: u8| std::collections::hash_map::RandomState::new().hash_one(n);
    format!(
        "http://tidings-base-{:016x}{:016x}.invalid/",
        random(1),
        random(2)
    )
});

static BASE_FINDER: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::new([BASE_MARK.as_str()]).expect("one literal pattern")
});

/// One rendered document, the same for every base URL it is served under.
struct Rendered {
    changes: u64,
    version: u64,
    generation: u64,
    /// The document cut where [`BASE_MARK`] stood: the base URL goes between pieces.
    pieces: Arc<[Bytes]>,
    /// Digest of the document with the mark in it.
    digest: String,
    last_modified: DateTime<Utc>,
}

impl Rendered {
    fn new(
        body: Vec<u8>,
        last_modified: DateTime<Utc>,
        (changes, version, generation): (u64, u64, u64),
    ) -> Rendered {
        let digest = hex_digest(&body);
        let body = Bytes::from(body);
        let mut pieces = Vec::new();
        let mut from = 0;
        for m in BASE_FINDER.find_iter(&body[..]) {
            pieces.push(body.slice(from..m.start()));
            from = m.end();
        }
        pieces.push(body.slice(from..));
        Rendered {
            changes,
            version,
            generation,
            pieces: pieces.into(),
            digest,
            last_modified,
        }
    }

    /// The document with `base` in place of the mark, sent piece by piece: no
    /// copy of the cached bytes, and an exact length (`Content-Length`).
    fn body(&self, base: &str) -> Body {
        let size = self.pieces.iter().map(Bytes::len).sum::<usize>()
            + base.len() * (self.pieces.len() - 1);
        Body::new(Filled {
            pieces: self.pieces.clone(),
            base: Bytes::copy_from_slice(base.as_bytes()),
            next: 0,
            left: size as u64,
        })
    }

    /// Differs whenever the served bytes do (the base is part of them).
    fn etag(&self, base: &str) -> String {
        let tag = hex_digest(format!("{}{base}", self.digest).as_bytes());
        format!("W/\"{}\"", &tag[..24])
    }
}

/// A cached document's pieces with the base URL between them, as a body.
struct Filled {
    pieces: Arc<[Bytes]>,
    base: Bytes,
    /// Position in pieces[0], base, pieces[1], base, ... pieces[n-1].
    next: usize,
    left: u64,
}

impl http_body::Body for Filled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        while self.next < 2 * self.pieces.len() - 1 {
            let i = self.next;
            self.next += 1;
            let chunk = if i.is_multiple_of(2) {
                self.pieces[i / 2].clone()
            } else {
                self.base.clone()
            };
            if !chunk.is_empty() {
                self.left -= chunk.len() as u64;
                return std::task::Poll::Ready(Some(Ok(http_body::Frame::data(chunk))));
            }
        }
        std::task::Poll::Ready(None)
    }

    fn is_end_stream(&self) -> bool {
        self.left == 0
    }

    fn size_hint(&self) -> http_body::SizeHint {
        http_body::SizeHint::with_exact(self.left)
    }
}

/// Output name, format, and the self link's path below the base URL. Every part
/// comes from the config (the token, the output's name, one of four
/// extensions), so the cache never grows with what clients send.
type CacheKey = (String, Format, String);

/// What the server publishes, from one config; replaced whole on reload.
struct View {
    generation: u64,
    outputs: Vec<OutputSpec>,
    feeds: Vec<(String, String)>,
    /// The whole config, for the pages that explain outputs (`html`).
    config: Arc<Config>,
    public_url: Option<String>,
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
            public_url: config.daemon.public_url.as_ref().map(|u| u.to_string()),
        }
    }

    /// The base of absolute links (ends with `/`): `public_url`, else the
    /// request's own host.
    fn base_url(&self, headers: &HeaderMap) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None => format!("http://{}/", request_host(headers)),
        }
    }
}

/// Shared server state.
pub struct AppState {
    store: Store,
    view: RwLock<Arc<View>>,
    cache: Mutex<HashMap<CacheKey, Arc<Rendered>>>,
    /// Built `.html` pages, kept like renders (see `html`).
    pages: html::Pages,
    metrics: Arc<Metrics>,
    limits: server::Limits,
}

impl AppState {
    /// State for serving `config`'s outputs from `store`, with `[daemon]`'s
    /// connection limits (the cap kept below this process's open-file limit).
    pub fn new(store: Store, config: &Config) -> AppState {
        AppState {
            store,
            view: RwLock::new(Arc::new(View::of(config, 0))),
            cache: Mutex::new(HashMap::new()),
            pages: html::Pages::default(),
            metrics: Arc::new(Metrics::default()),
            limits: server::Limits::of(&config.daemon, server::descriptor_limit()),
        }
    }

    /// The connection limits [`serve`] applies.
    pub fn limits(&self) -> server::Limits {
        self.limits
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

/// Serves until `shutdown` resolves, within the state's [`server::Limits`];
/// in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    state: Arc<AppState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.limits;
    server::run(listener, router(state), limits, shutdown).await
}

/// Serves `/metrics` (Prometheus text) on its own listener until `shutdown`,
/// with the default client timeouts and [`server::METRICS_CONNECTIONS`].
pub async fn serve_metrics(
    listener: TcpListener,
    store: Store,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = server::Limits {
        max_connections: server::METRICS_CONNECTIONS,
        ..server::Limits::default()
    };
    serve_metrics_within(listener, store, metrics, limits, shutdown).await
}

/// [`serve_metrics`] within `limits` (the daemon's configured timeouts).
pub async fn serve_metrics_within(
    listener: TcpListener,
    store: Store,
    metrics: Arc<Metrics>,
    limits: server::Limits,
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
    server::run(listener, app, limits, shutdown).await
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
    let self_path = match (&spec.token, token_in_path) {
        (Some(t), true) => format!("feeds/{t}/{file}"),
        (Some(t), false) => format!("feeds/{file}?token={t}"),
        (None, _) => format!("feeds/{file}"),
    };
    let rendered = match cached_or_render(&state, view.generation, &spec, format, self_path).await {
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
    let base = view.base_url(headers);
    let etag = rendered.etag(&base);
    let is_304 = not_modified(headers, &etag, rendered.last_modified);
    state.metrics.output_request(is_304);
    let mut response = if is_304 {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, rendered.body(&base)).into_response()
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
    if let Ok(v) = HeaderValue::from_str(&etag) {
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
    self_path: String,
) -> Result<Arc<Rendered>, store::StoreError> {
    let key = (spec.name.clone(), format, self_path);
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
            pieces: hit.pieces.clone(),
            digest: hit.digest.clone(),
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
    let self_url = format!("{}{}", *BASE_MARK, key.2);
    let rendered = store::blocking(move || {
        let items = served_items(
            &store,
            &spec.name,
            spec.filtered,
            spec.feed_urls.len(),
            spec.limit,
            spec.stories.as_deref(),
        )?;
        let channel = ChannelInfo {
            name: &spec.name,
            title: &spec.title,
            description: &spec.description,
            self_url: &self_url,
            site_url: &BASE_MARK,
        };
        let body = render(format, &channel, &items);
        let last_modified = items
            .iter()
            .map(|i| i.modified)
            .max()
            .unwrap_or(DateTime::UNIX_EPOCH);
        Ok(Arc::new(Rendered::new(
            body,
            last_modified,
            (changes, version, generation),
        )))
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
    state
        .cache
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(key, rendered.clone());
    Ok(rendered)
}

/// What an output serves: its newest items, each story once. The one place
/// that decides it, for the feeds, the page and `tidings preview`.
///
/// Copies with the same canonical link are always one entry (the newest). With
/// `stories` (dedup on), the copies of one story (`dedup`, decided when each
/// was stored) are one entry too: the copy from the first feed of `stories`
/// that has one, else the story's first copy; the entry lists the others
/// (`also`). A story is in a filtered output when any of its copies is; its
/// entry keeps its own date, so a copy arriving later moves nothing.
pub fn served_items(
    store: &store::Store,
    name: &str,
    filtered: bool,
    feeds: usize,
    limit: usize,
    stories: Option<&[String]>,
) -> Result<Vec<StoredItem>, store::StoreError> {
    entries_from(
        limit,
        stories,
        |n| store.output_items(name, filtered, feeds, n),
        |ids| store.story_copies(name, ids),
    )
}

/// [`served_items`] from any source of items: `fetch(n)` reads the newest `n`
/// candidates, newest first; `copies(stories)` every copy of those stories
/// among the output's feeds.
pub fn entries_from(
    limit: usize,
    stories: Option<&[String]>,
    fetch: impl Fn(usize) -> Result<Vec<StoredItem>, store::StoreError>,
    copies_of: impl Fn(&[i64]) -> Result<Vec<StoredItem>, store::StoreError>,
) -> Result<Vec<StoredItem>, store::StoreError> {
    let Some(prefer) = stories else {
        return newest_distinct(limit, |i| [Some(link_key(i)), None], fetch);
    };
    // The newest rows name the stories; each story's copies are read whole.
    let newest = newest_distinct(limit, |i| [Some(link_key(i)), story_of(i)], fetch)?;
    let ids: Vec<i64> = newest.iter().filter_map(|i| i.story).collect();
    let mut copies: HashMap<i64, Vec<StoredItem>> = HashMap::new();
    for copy in copies_of(&ids)? {
        if let Some(story) = copy.story {
            copies.entry(story).or_default().push(copy);
        }
    }
    let mut out: Vec<StoredItem> = newest
        .into_iter()
        .map(|item| match item.story.and_then(|s| copies.remove(&s)) {
            Some(group) if !group.is_empty() => entry_of(group, prefer),
            _ => item,
        })
        .collect();
    out.sort_by(|a, b| b.date.cmp(&a.date).then(b.uid.cmp(&a.uid)));
    Ok(out)
}

/// One entry for a story's copies (oldest first): the preferred feed's copy,
/// else the first; the others, one per link, as `also`.
fn entry_of(mut copies: Vec<StoredItem>, prefer: &[String]) -> StoredItem {
    let at = crate::dedup::entry(prefer, copies.iter().map(|c| c.feed_name.as_str()));
    let mut entry = copies.swap_remove(at.min(copies.len() - 1));
    copies.sort_by_key(|c| c.first_seen);
    let mut links: HashSet<String> = entry.link.iter().map(|l| link_key_of(l)).collect();
    for c in copies {
        let Some(url) = c.link else { continue };
        if links.insert(link_key_of(&url)) {
            entry.also.push(crate::model::Copy {
                url,
                feed: c.feed_name,
                title: c.title,
            });
        }
    }
    entry
}

fn link_key_of(link: &str) -> String {
    crate::normalize::canonical_url(link).map_or_else(|| link.to_string(), |c| story_key(&c))
}

/// Same canonical link, same entry.
fn link_key(item: &StoredItem) -> String {
    item.canonical_link
        .as_deref()
        .map(story_key)
        .unwrap_or_else(|| item.uid.clone())
}

/// Same story, same entry.
fn story_of(item: &StoredItem) -> Option<String> {
    item.story.map(|s| format!("story:{s}"))
}

/// The newest `limit` items none of whose `keys` a newer item had: a newer
/// item with the same link (or story) stands for the older ones.
/// `fetch(n)` reads the newest `n` candidates, newest first.
fn newest_distinct(
    limit: usize,
    keys: impl Fn(&StoredItem) -> [Option<String>; 2],
    fetch_newest: impl Fn(usize) -> Result<Vec<StoredItem>, store::StoreError>,
) -> Result<Vec<StoredItem>, store::StoreError> {
    let mut fetch = limit + limit / 2 + 8;
    loop {
        let rows = fetch_newest(fetch)?;
        let exhausted = rows.len() < fetch;
        let mut seen = HashSet::new();
        let mut out = Vec::with_capacity(limit);
        for item in rows {
            let keys = keys(&item);
            if keys.iter().flatten().any(|k| seen.contains(k)) {
                continue;
            }
            seen.extend(keys.into_iter().flatten());
            {
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
fn not_modified(headers: &HeaderMap, etag: &str, last_modified: DateTime<Utc>) -> bool {
    if let Some(inm) = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        let ours = etag.trim_start_matches("W/");
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
        return last_modified.timestamp() <= ims.timestamp();
    }
    false
}

fn http_date(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn text(body: Body) -> String {
        let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn rendered(text: &str) -> Rendered {
        let body = text.replace("{base}", &BASE_MARK).into_bytes();
        Rendered::new(body, DateTime::UNIX_EPOCH, (0, 0, 0))
    }

    #[tokio::test]
    async fn the_base_goes_wherever_the_mark_stood_and_nowhere_else() {
        let r = rendered("<a href=\"{base}feeds/x.xml\"/><link>{base}</link>{base}");
        assert_eq!(r.pieces.len(), 4);
        let body = r.body("https://a.example/t/");
        let want = "<a href=\"https://a.example/t/feeds/x.xml\"/><link>https://a.example/t/</link>https://a.example/t/";
        assert_eq!(
            http_body::Body::size_hint(&body).exact(),
            Some(want.len() as u64)
        );
        assert_eq!(text(body).await, want);
        let plain = rendered("no links, http://tidings-base-0.invalid/ included");
        assert_eq!(
            text(plain.body("http://b.example/")).await,
            "no links, http://tidings-base-0.invalid/ included"
        );
        assert_eq!(text(rendered("").body("http://b.example/")).await, "");
    }

    #[test]
    fn the_etag_follows_the_served_bytes() {
        let r = rendered("<link>{base}</link>");
        assert_eq!(r.etag("http://a.example/"), r.etag("http://a.example/"));
        assert_ne!(r.etag("http://a.example/"), r.etag("http://b.example/"));
        assert_ne!(
            r.etag("http://a.example/"),
            rendered("<link>{base}</link>.").etag("http://a.example/")
        );
        assert!(r.etag("http://a.example/").starts_with("W/\""));
    }
}
