//! Test support: a real HTTP server on 127.0.0.1 serving fixture feeds whose
//! bodies, status and ETag a test can change between polls, and helpers to write
//! configs and read what a subscriber would see.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// One served document.
#[derive(Clone, Default)]
pub struct Resource {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: &'static str,
    pub etag: Option<String>,
    /// Extra response headers (Location, Retry-After, Content-Encoding...).
    pub headers: Vec<(&'static str, String)>,
    /// Send the body one byte per second (a slow-drip server).
    pub drip: bool,
    /// Wait this long before answering.
    pub delay_ms: u64,
}

impl Resource {
    pub fn feed(body: impl Into<Vec<u8>>, etag: Option<&str>) -> Resource {
        Resource {
            status: 200,
            body: body.into(),
            content_type: "application/xml",
            etag: etag.map(|e| format!("\"{e}\"")),
            ..Default::default()
        }
    }
    pub fn status(status: u16) -> Resource {
        Resource {
            status,
            body: b"error page".to_vec(),
            content_type: "text/html",
            ..Default::default()
        }
    }
    pub fn redirect(status: u16, to: &str) -> Resource {
        Resource {
            status,
            content_type: "text/html",
            headers: vec![("location", to.to_string())],
            ..Default::default()
        }
    }
    pub fn header(mut self, name: &'static str, value: &str) -> Resource {
        self.headers.push((name, value.to_string()));
        self
    }
}

#[derive(Default)]
struct Inner {
    in_flight: usize,
    max_in_flight: usize,
    resources: HashMap<String, Resource>,
    hits: HashMap<String, usize>,
    conditional_hits: HashMap<String, usize>,
}

/// The fixture server. Dropping it does not stop it; tests are short-lived.
#[derive(Clone)]
pub struct FeedServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

impl FeedServer {
    pub async fn start() -> FeedServer {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .route("/{*path}", get(serve))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        FeedServer { addr, inner }
    }

    /// A server with these repository fixtures at these paths: (path, fixture).
    pub async fn with_fixtures(files: &[(&str, &str)]) -> FeedServer {
        let server = FeedServer::start().await;
        for (path, name) in files {
            server.set(path, Resource::feed(fixture(name), None));
        }
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}/{}", self.addr, path.trim_start_matches('/'))
    }

    pub fn set(&self, path: &str, r: Resource) {
        self.inner
            .lock()
            .unwrap()
            .resources
            .insert(path.trim_start_matches('/').to_string(), r);
    }

    pub fn hits(&self, path: &str) -> usize {
        *self
            .inner
            .lock()
            .unwrap()
            .hits
            .get(path.trim_start_matches('/'))
            .unwrap_or(&0)
    }

    /// The most requests this server was answering at the same time.
    pub fn max_in_flight(&self) -> usize {
        self.inner.lock().unwrap().max_in_flight
    }

    pub fn conditional_hits(&self, path: &str) -> usize {
        *self
            .inner
            .lock()
            .unwrap()
            .conditional_hits
            .get(path.trim_start_matches('/'))
            .unwrap_or(&0)
    }
}

async fn serve(
    State(shared): State<Arc<Mutex<Inner>>>,
    UrlPath(path): UrlPath<String>,
    headers: HeaderMap,
) -> Response {
    let delay = {
        let mut inner = shared.lock().unwrap();
        inner.in_flight += 1;
        inner.max_in_flight = inner.max_in_flight.max(inner.in_flight);
        inner.resources.get(&path).map_or(0, |r| r.delay_ms)
    };
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let response = answer(&shared, path, headers);
    shared.lock().unwrap().in_flight -= 1;
    response
}

fn answer(shared: &Arc<Mutex<Inner>>, path: String, headers: HeaderMap) -> Response {
    let mut inner = shared.lock().unwrap();
    *inner.hits.entry(path.clone()).or_default() += 1;
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if if_none_match.is_some() {
        *inner.conditional_hits.entry(path.clone()).or_default() += 1;
    }
    let Some(r) = inner.resources.get(&path).cloned() else {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    };
    if r.etag.is_some() && r.etag == if_none_match {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let mut resp = if r.drip {
        let stream = futures_util::stream::unfold(r.body.clone(), |mut rest| async move {
            if rest.is_empty() {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            let byte = rest.remove(0);
            Some((Ok::<_, std::io::Error>(vec![byte]), rest))
        });
        (
            StatusCode::from_u16(r.status).unwrap(),
            axum::body::Body::from_stream(stream),
        )
            .into_response()
    } else {
        (StatusCode::from_u16(r.status).unwrap(), r.body).into_response()
    };
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, r.content_type.parse().unwrap());
    for (name, value) in &r.headers {
        resp.headers_mut().insert(*name, value.parse().unwrap());
    }
    if let Some(etag) = r.etag {
        resp.headers_mut()
            .insert(header::ETAG, etag.parse().unwrap());
    }
    resp
}

/// A repository fixture file.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()))
}

/// A path in `../shared/` (the team's shared data, beside the repository).
/// Fails loudly when it is missing rather than letting a test pass without it.
pub fn shared_path(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(rel);
    assert!(
        path.exists(),
        "this test needs ../shared/{rel} (the shared data folder beside the repository): {} is missing",
        path.display()
    );
    path
}

/// A file from `../shared/`, read (see [`shared_path`]).
pub fn shared(rel: &str) -> Vec<u8> {
    let path = shared_path(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A temporary directory with a config file in it.
pub struct TempConfig {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    /// The PostgreSQL database standing in for `t.db`, when there is one.
    pub database: Option<String>,
}

impl TempConfig {
    /// Another config text for the same database: `database = "t.db"` names
    /// the PostgreSQL database this config got, when it got one.
    pub fn text(&self, text: &str) -> String {
        match &self.database {
            Some(url) => text.replacen("database = \"t.db\"", &format!("database = \"{url}\""), 1),
            None => text.to_string(),
        }
    }
}

/// Writes `text` as a config. When the suite runs on PostgreSQL
/// (`TIDINGS_TEST_POSTGRES`), `database = "t.db"` becomes a fresh database.
pub fn write_config(text: &str) -> TempConfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tidings.toml");
    let database = match postgres_admin() {
        Some(_) if text.contains("database = \"t.db\"") => Some(fresh_database()),
        _ => None,
    };
    let t = TempConfig {
        dir,
        path,
        database,
    };
    std::fs::write(&t.path, t.text(text)).unwrap();
    t
}

/// The PostgreSQL server the suite runs against (`TIDINGS_TEST_POSTGRES`, an
/// admin URL such as `postgres://tidings@127.0.0.1:5432/postgres`), if any.
pub fn postgres_admin() -> Option<String> {
    std::env::var("TIDINGS_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Whether the suite runs on PostgreSQL.
pub fn on_postgres() -> bool {
    postgres_admin().is_some()
}

/// For a test of SQLite's file itself (size cap, `VACUUM INTO`, the WAL):
/// true, after saying so, when the suite runs on PostgreSQL.
pub fn skip_on_postgres(what: &str) -> bool {
    if on_postgres() {
        eprintln!("skipped on PostgreSQL: {what} is SQLite's own (the SQLite run covers it)");
        return true;
    }
    false
}

/// A new, empty database on the test server; its URL.
pub fn fresh_database() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let admin = postgres_admin().expect("TIDINGS_TEST_POSTGRES is set");
    let name = format!(
        "t_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let create = format!("CREATE DATABASE {name}");
    let admin_url = admin.clone();
    // Its own thread and runtime: callers may be on a test's runtime.
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let (client, conn) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
                .await
                .unwrap_or_else(|e| panic!("TIDINGS_TEST_POSTGRES={admin_url}: {e}"));
            tokio::spawn(conn);
            client.batch_execute(&create).await.unwrap();
        })
    })
    .join()
    .unwrap();
    let mut url = url::Url::parse(&admin).expect("TIDINGS_TEST_POSTGRES is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

pub fn load(t: &TempConfig) -> tidings::config::Config {
    tidings::config::load(&t.path).unwrap_or_else(|e| panic!("{e}"))
}

/// What a subscriber sees: (guid, title, link) per served item, in order.
pub fn served_items(xml: &[u8]) -> Vec<(String, String, String)> {
    let feed = feed_rs::parser::parse(xml).expect("served feed parses");
    feed.entries
        .into_iter()
        .map(|e| {
            (
                e.id,
                e.title.map(|t| t.content).unwrap_or_default(),
                e.links.first().map(|l| l.href.clone()).unwrap_or_default(),
            )
        })
        .collect()
}

/// What a subscriber sees of `base`'s output (RSS): (guid, title, link) per item.
pub async fn served(base: &str, output: &str) -> Vec<(String, String, String)> {
    let resp = client()
        .get(format!("{base}/feeds/{output}.xml"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{base}/feeds/{output}.xml");
    served_items(&resp.bytes().await.unwrap())
}

/// The body of a GET of `url`, whatever its status.
pub async fn body_of(url: &str) -> Vec<u8> {
    let resp = client().get(url).send().await.unwrap();
    resp.bytes().await.unwrap().to_vec()
}

/// The items of `base`'s output as JSON Feed (none when it has no `items`).
pub async fn served_json(base: &str, output: &str) -> Vec<serde_json::Value> {
    let body = body_of(&format!("{base}/feeds/{output}.json")).await;
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    v["items"].as_array().cloned().unwrap_or_default()
}

/// Starts the publish server for `config` on 127.0.0.1:0; returns its base URL.
pub async fn start_publish(
    config: &tidings::config::Config,
    store: tidings::store::Store,
) -> String {
    let state = Arc::new(tidings::publish::AppState::new(store, config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(tidings::publish::serve(
        listener,
        state,
        std::future::pending(),
    ));
    format!("http://{addr}")
}

pub fn client() -> reqwest::Client {
    tidings::fetch::install_crypto_provider();
    reqwest::Client::builder()
        .no_proxy()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap()
}

/// A port nobody listens on right now (bound, then released).
/// The Python with feedparser the README's test command installs
/// (`TIDINGS_TEST_PYTHON`, else `.venv-feeds/`, else `python3`).
pub fn python() -> PathBuf {
    if let Ok(p) = std::env::var("TIDINGS_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join(".venv-feeds/bin/python");
    if venv.exists() {
        venv
    } else {
        PathBuf::from("python3")
    }
}

/// Runs the tidings binary with `args` and waits for its output.
pub fn tidings<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_tidings"))
        .args(args)
        .output()
        .unwrap()
}

/// [`tidings`] from an async test: run on the blocking pool, so servers the
/// test started on this runtime keep answering the binary.
pub async fn tidings_async<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> std::process::Output {
    let args: Vec<std::ffi::OsString> = args.iter().map(|a| a.as_ref().to_owned()).collect();
    tokio::task::spawn_blocking(move || tidings(&args))
        .await
        .unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Polls `check` every 100 ms for up to 10 s; true as soon as it holds.
pub async fn eventually<F: std::future::Future<Output = bool>>(
    mut check: impl FnMut() -> F,
) -> bool {
    for _ in 0..100 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// The items an output serves right now, or None while the server is not up.
pub async fn served_count(port: u16, output: &str) -> Option<usize> {
    let r = client()
        .get(format!("http://127.0.0.1:{port}/feeds/{output}.xml"))
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    Some(served_items(&r.bytes().await.ok()?).len())
}

/// The real `tidings run` binary, with its log captured in a file (a pipe
/// nobody reads until the end fills up and blocks the daemon's logging). A
/// daemon whose test failed before `stop` is killed when dropped.
pub struct Daemon {
    child: Option<std::process::Child>,
    log: tempfile::NamedTempFile,
}

impl Daemon {
    pub fn start(config: &Path) -> Daemon {
        Daemon::start_with(config, |_| {})
    }

    /// [`Daemon::start`] with `prepare` applied to the command first (resource
    /// limits, environment).
    pub fn start_with(config: &Path, prepare: impl FnOnce(&mut std::process::Command)) -> Daemon {
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_tidings"));
        command
            .args(["run", "--config"])
            .arg(config)
            .stderr(log.reopen().unwrap());
        prepare(&mut command);
        Daemon {
            child: Some(command.spawn().unwrap()),
            log,
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, std::process::Child::id)
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }

    /// Sends a signal by name (HUP, TERM...).
    pub fn signal(&self, name: &str) {
        let ok = std::process::Command::new("kill")
            .args([&format!("-{name}"), &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{name}");
    }

    /// SIGTERM, then the exit status and everything it logged.
    pub async fn stop(mut self) -> (std::process::ExitStatus, String) {
        self.signal("TERM");
        let mut child = self.child.take().expect("running");
        let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
            .await
            .unwrap();
        (status, self.log())
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            eprintln!(
                "daemon log (killed when its test ended early):\n{}",
                self.log()
            );
        }
    }
}
