//! Configuration: one TOML file → validated [`Config`].
//!
//! Two steps: `raw` deserialises with unknown keys rejected and value positions
//! kept; [`validate`] turns that into a `Config` whose fields are already parsed
//! (URLs, socket address, cron schedules), so no later stage re-validates anything.
//! Every problem carries file:line:column and says what was expected; all problems
//! of a file are reported at once, not just the first.

mod raw;
mod schedule;
mod validate;

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use schedule::Schedule;

use raw::RawConfig;
use validate::{Locator, Validator};

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `[daemon]`.
    pub daemon: DaemonConfig,
    /// `[[feed]]`, in file order.
    /// Shared (`Arc`): the scheduler, reload and plans hold the same feed,
    /// not copies (10,000 feeds are a few MB each copy).
    pub feeds: Vec<std::sync::Arc<FeedConfig>>,
    /// `[[output]]`, in file order.
    pub outputs: Vec<OutputConfig>,
    /// `[terms]`: named term lists the filters refer to.
    pub terms: crate::filter::TermLists,
    /// `[[site]]`: per-domain extraction rules, used before the generic extractor.
    pub sites: Vec<crate::extract::SiteRule>,
}

/// `[daemon]` settings, with defaults applied.
#[derive(Debug, Clone)]
pub struct DaemonConfig {
    /// SQLite file (a relative path is resolved against the config file's
    /// directory), or a `postgres://` URL, kept as written.
    pub database: PathBuf,
    /// Address the HTTP server binds.
    pub listen: SocketAddr,
    /// Default poll schedule of every feed.
    pub schedule: Schedule,
    /// Time zone the schedules are read in (default UTC).
    pub timezone: chrono_tz::Tz,
    /// Feeds refreshed at the same time, at most.
    pub concurrency: usize,
    /// Whole-request deadline for one fetch.
    pub timeout: Duration,
    /// TCP/TLS connect deadline.
    pub connect_timeout: Duration,
    /// Largest feed body accepted, counted after decompression.
    pub max_feed_bytes: usize,
    /// Most entries taken from one feed document.
    pub max_items_per_feed: usize,
    /// Largest article page accepted (bytes, after decompression).
    pub max_page_bytes: usize,
    /// Article pages fetched from one host at the same time, at most.
    pub per_host_concurrency: usize,
    /// Feeds polled from one host at the same time, at most.
    pub feeds_per_host: usize,
    /// Fetch article pages that resolve to loopback/private/link-local addresses
    /// (off by default: article links come from third parties).
    pub allow_private_articles: bool,
    /// URL schemes besides http and https whose item links are served (e.g.
    /// `gemini`); links with any other scheme are left out of the outputs.
    pub link_schemes: Vec<String>,
    /// On PostgreSQL, how long a daemon's claim on a feed lasts: another
    /// daemon polls the feed once it has passed (a daemon that died mid-poll).
    pub lease: Duration,
    /// How long in-flight refreshes may run on after SIGTERM.
    pub shutdown_grace: Duration,
    /// Where `/metrics` is served (Prometheus text); off when unset.
    pub metrics_listen: Option<SocketAddr>,
    /// The address readers reach the server at (ends with `/`): the base of the
    /// outputs' self links and site link, whatever `Host` a request names. When
    /// unset, each request's own `Host` is used.
    pub public_url: Option<url::Url>,
    /// How long a client may take to send a complete request head, and how long
    /// a kept-alive connection may wait idle for its next request.
    pub client_timeout: Duration,
    /// How long one request may take, from its head to the last byte of the
    /// response (slow readers are cut off then).
    pub request_timeout: Duration,
    /// HTTP connections open at once (also kept below the open-file limit); a
    /// new one past it closes the longest-idle one.
    pub max_connections: usize,
    /// Cap on the database size; when reached, polling pauses (as on a full disk).
    pub max_database_mb: Option<u64>,
    /// Log filter when `RUST_LOG` is unset (e.g. "info", "tidings=debug").
    pub log_level: String,
    /// Log lines as JSON objects instead of text.
    pub log_json: bool,
    /// Default retention for every feed.
    pub retention: Retention,
    /// Story de-duplication settings.
    pub dedup: DedupConfig,
}

/// Story de-duplication: which copies of one story (from several feeds) are
/// recognised as one, and which copy an output shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedupConfig {
    /// How far back (by publication time, or arrival when later or missing) a
    /// new item is compared: `dedup_window_hours`, default 72.
    pub window: Duration,
    /// `prefer`: feed names (URLs given in the file are resolved to names)
    /// whose copy stands for a story, first listed first; the outputs'
    /// default.
    pub prefer: Vec<String>,
}

impl Default for DedupConfig {
    fn default() -> DedupConfig {
        DedupConfig {
            window: Duration::from_secs(u64::from(crate::dedup::DEFAULT_WINDOW_HOURS) * 3600),
            prefer: Vec::new(),
        }
    }
}

/// How long items are kept. Pruned items leave a tombstone so they are not
/// imported again while the source feed still lists them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Drop items older than this many days.
    pub keep_days: Option<u32>,
    /// Keep at most this many items per feed (the newest).
    pub keep_items: Option<u32>,
}

impl Retention {
    /// Whether any limit is set.
    pub fn is_set(&self) -> bool {
        self.keep_days.is_some() || self.keep_items.is_some()
    }
}

/// One `[[feed]]`.
#[derive(Debug, Clone)]
pub struct FeedConfig {
    /// The feed's URL as configured (also its identity in the database).
    pub url: url::Url,
    /// Display name: `name`, else the URL's host and path.
    pub name: String,
    /// Tags, used by outputs' `from`.
    pub tags: Vec<String>,
    /// When it is polled: its own `schedule`, else the daemon's.
    pub schedule: Schedule,
    /// Fetch each new item's article page and publish its full text.
    pub full_text: bool,
    /// Retention: the feed's own limits, else the daemon's.
    pub retention: Retention,
}

/// One `[[output]]`.
#[derive(Debug, Clone)]
pub struct OutputConfig {
    /// URL-safe name: served at `/feeds/<name>.xml`.
    pub name: String,
    /// Channel title (default: the name).
    pub title: String,
    /// Channel description.
    pub description: String,
    /// Feeds whose items it draws from.
    pub from: Selection,
    /// Newest items served.
    pub limit: usize,
    /// Access token of a private output: it is then served only with `?token=` or
    /// under `/feeds/<token>/`, answers 404 otherwise, and is left out of `/` and `/opml`.
    pub token: Option<String>,
    /// The compiled `filter` rule; `None` serves every item of the selected feeds.
    pub filter: Option<crate::filter::Rules>,
    /// Show each story once (`dedup`, default true); false shows every copy.
    pub dedup: bool,
    /// Feed names whose copy stands for a story here: the output's own
    /// `prefer`, else `[daemon]`'s.
    pub prefer: Vec<String>,
}

/// `from = { tags = [...], feeds = [...] }`: a feed is selected when it has one of
/// the tags or is named (by name or URL); when both lists are empty, every feed is.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Tags, any of which selects a feed.
    pub tags: Vec<String>,
    /// Feed names or URLs.
    pub feeds: Vec<String>,
}

impl Selection {
    /// Whether this output draws from `feed`.
    pub fn includes(&self, feed: &FeedConfig) -> bool {
        if self.tags.is_empty() && self.feeds.is_empty() {
            return true;
        }
        self.tags.iter().any(|t| feed.tags.contains(t))
            || self
                .feeds
                .iter()
                .any(|f| *f == feed.name || *f == feed.url.as_str())
    }
}

impl Config {
    /// The feeds an output draws from.
    pub fn feeds_of<'a>(
        &'a self,
        output: &'a OutputConfig,
    ) -> impl Iterator<Item = &'a FeedConfig> {
        self.feeds
            .iter()
            .map(|f| &**f)
            .filter(|f| output.from.includes(f))
    }
}

/// One problem in a config file, positioned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
    /// The offending line, for display.
    pub source_line: String,
    /// Characters to underline, at least 1.
    pub width: usize,
}

/// Why a config could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read config {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file has problems; each is positioned.
    #[error("{}", render_problems(path, problems))]
    Invalid {
        /// The file.
        path: PathBuf,
        /// Every problem found.
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &Path, problems: &[Problem]) -> String {
    let mut out = String::new();
    for p in problems {
        out.push_str(&format!(
            "{}:{}:{}: {}\n",
            path.display(),
            p.line,
            p.column,
            p.message
        ));
        let gutter = p.line.to_string().len();
        out.push_str(&format!("{:gutter$} |\n", ""));
        out.push_str(&format!("{} | {}\n", p.line, p.source_line));
        let pad: String = p
            .source_line
            .chars()
            .take(p.column.saturating_sub(1))
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        out.push_str(&format!(
            "{:gutter$} | {pad}{}\n",
            "",
            "^".repeat(p.width.max(1))
        ));
    }
    out.pop();
    out
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Reads and validates the config file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Validates config text; `path` names the file in messages and anchors relative paths.
pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
    let locator = Locator { text };
    let invalid = |problems| ConfigError::Invalid {
        path: path.to_path_buf(),
        problems,
    };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        invalid(vec![locator.problem(span, e.message().trim().to_string())])
    })?;
    let mut v = Validator {
        locator,
        problems: Vec::new(),
    };
    let config = v.config(raw, path);
    if v.problems.is_empty() {
        Ok(config)
    } else {
        Err(invalid(v.problems))
    }
}

#[cfg(test)]
mod tests;
