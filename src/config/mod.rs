//! Configuration: one TOML file → validated [`Config`].
//!
//! Two steps: `raw` deserialises with unknown keys rejected and value positions
//! kept; [`validate`] turns that into a `Config` whose fields are already parsed
//! (URLs, socket address, cron schedules), so no later stage re-validates anything.
//! Every problem carries file:line:column and says what was expected; all problems
//! of a file are reported at once, not just the first.

mod raw;
mod schedule;

use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use schedule::Schedule;

use raw::{RawConfig, RawFeed, RawOutput};
use toml::Spanned;

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from.
    pub path: PathBuf,
    /// `[daemon]`.
    pub daemon: DaemonConfig,
    /// `[[feed]]`, in file order.
    pub feeds: Vec<FeedConfig>,
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
    /// SQLite file; a relative path is resolved against the config file's directory.
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
    /// How long in-flight refreshes may run on after SIGTERM.
    pub shutdown_grace: Duration,
    /// Where `/metrics` is served (Prometheus text); off when unset.
    pub metrics_listen: Option<SocketAddr>,
    /// Cap on the database size; when reached, polling pauses (as on a full disk).
    pub max_database_mb: Option<u64>,
    /// Log filter when `RUST_LOG` is unset (e.g. "info", "tidings=debug").
    pub log_level: String,
    /// Log lines as JSON objects instead of text.
    pub log_json: bool,
    /// Default retention for every feed.
    pub retention: Retention,
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
        self.feeds.iter().filter(|f| output.from.includes(f))
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

/// Turns byte spans into line:column positions.
struct Locator<'a> {
    text: &'a str,
}

impl Locator<'_> {
    fn problem(&self, span: std::ops::Range<usize>, message: String) -> Problem {
        let start = floor_char_boundary(self.text, span.start.min(self.text.len()));
        let line_start = self.text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = self.text[start..]
            .find('\n')
            .map_or(self.text.len(), |i| start + i);
        let end = floor_char_boundary(self.text, span.end.clamp(start, line_end));
        Problem {
            line: self.text[..start].matches('\n').count() + 1,
            column: self.text[line_start..start].chars().count() + 1,
            message,
            source_line: self.text[line_start..line_end]
                .trim_end_matches('\r')
                .to_string(),
            width: self.text[start..end].chars().count(),
        }
    }
}

impl Locator<'_> {
    /// Where the content of the TOML string at `span` starts in the file, and
    /// whether offsets into `value` map 1:1 onto the file (true unless the string
    /// used escapes, in which case errors point at the start of the string).
    fn string_content(&self, span: std::ops::Range<usize>, value: &str) -> (usize, bool) {
        let raw = self.text.get(span.clone()).unwrap_or("");
        let delimiter = ["'''", "\"\"\"", "'", "\""]
            .into_iter()
            .find(|d| raw.starts_with(d))
            .unwrap_or("");
        let mut start = span.start + delimiter.len();
        if delimiter.len() == 3 {
            // A newline right after the opening delimiter is not part of the value.
            if self.text[start..].starts_with("\r\n") {
                start += 2;
            } else if self.text[start..].starts_with('\n') {
                start += 1;
            }
        }
        let exact = self.text.get(start..start + value.len()) == Some(value);
        (start, exact)
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

struct Validator<'a> {
    locator: Locator<'a>,
    problems: Vec<Problem>,
}

const DEFAULT_SCHEDULE: &str = "*/15 * * * *";

impl Validator<'_> {
    fn report<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        let p = self.locator.problem(at.span(), message.into());
        self.problems.push(p);
    }

    fn config(&mut self, raw: RawConfig, path: &Path) -> Config {
        let daemon = self.daemon(raw.daemon, path);
        let mut seen_urls = HashSet::new();
        let feeds: Vec<FeedConfig> = raw
            .feed
            .into_iter()
            .filter_map(|f| self.feed(f, &daemon.schedule, daemon.retention, &mut seen_urls))
            .collect();
        let mut seen_names = HashSet::new();
        let terms = crate::filter::TermLists::new(raw.terms);
        let outputs = raw
            .output
            .into_iter()
            .filter_map(|o| self.output(o, &feeds, &terms, &mut seen_names))
            .collect();
        let sites = raw.site.into_iter().filter_map(|s| self.site(s)).collect();
        Config {
            path: path.to_path_buf(),
            daemon,
            feeds,
            outputs,
            terms,
            sites,
        }
    }

    fn daemon(&mut self, raw: raw::RawDaemon, path: &Path) -> DaemonConfig {
        let database = match &raw.database {
            Some(db) if db.get_ref().trim().is_empty() => {
                self.report(db, "database must be a file path, e.g. \"tidings.db\"");
                PathBuf::from("tidings.db")
            }
            Some(db) => PathBuf::from(db.get_ref()),
            None => PathBuf::from("tidings.db"),
        };
        let database = if database.is_relative() {
            path.parent().unwrap_or(Path::new(".")).join(database)
        } else {
            database
        };
        let listen = match &raw.listen {
            Some(l) => l.get_ref().parse().unwrap_or_else(|_| {
                self.report(l, format!("listen {:?} is not an address: expected IP:PORT, e.g. \"127.0.0.1:8080\" or \"[::1]:8080\"", l.get_ref()));
                SocketAddr::from(([127, 0, 0, 1], 8080))
            }),
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let fallback = Schedule::parse(DEFAULT_SCHEDULE).expect("default schedule parses");
        let schedule = match &raw.schedule {
            Some(s) => self.schedule(s).unwrap_or(fallback),
            None => fallback,
        };
        let timezone = match &raw.timezone {
            Some(tz) => tz.get_ref().parse().unwrap_or_else(|_| {
                self.report(tz, format!("unknown time zone {:?}: expected an IANA name such as \"UTC\" or \"Asia/Seoul\"", tz.get_ref()));
                chrono_tz::UTC
            }),
            None => chrono_tz::UTC,
        };
        DaemonConfig {
            database,
            listen,
            schedule,
            timezone,
            concurrency: self.positive(&raw.concurrency, "concurrency", 1..=1024, 8) as usize,
            timeout: Duration::from_secs(self.positive(
                &raw.timeout_secs,
                "timeout_secs",
                1..=3600,
                30,
            )),
            connect_timeout: Duration::from_secs(self.positive(
                &raw.connect_timeout_secs,
                "connect_timeout_secs",
                1..=600,
                10,
            )),
            max_feed_bytes: self.positive(
                &raw.max_feed_bytes,
                "max_feed_bytes",
                1024..=1 << 30,
                16 << 20,
            ) as usize,
            max_items_per_feed: self.positive(
                &raw.max_items_per_feed,
                "max_items_per_feed",
                1..=100_000,
                1000,
            ) as usize,
            max_page_bytes: self.positive(
                &raw.max_page_bytes,
                "max_page_bytes",
                1024..=1 << 30,
                5 << 20,
            ) as usize,
            per_host_concurrency: self.positive(
                &raw.per_host_concurrency,
                "per_host_concurrency",
                1..=64,
                2,
            ) as usize,
            allow_private_articles: raw.allow_private_articles.unwrap_or(false),
            feeds_per_host: self.positive(&raw.feeds_per_host, "feeds_per_host", 1..=1024, 4) as usize,
            metrics_listen: raw.metrics_listen.as_ref().and_then(|l| {
                l.get_ref().parse().map_err(|_| self.report(l, format!("metrics_listen {:?} is not an address: expected IP:PORT, e.g. \"127.0.0.1:9100\"", l.get_ref()))).ok()
            }),
            max_database_mb: raw.max_database_mb.as_ref().map(|_| self.positive(&raw.max_database_mb, "max_database_mb", 1..=1 << 24, 0)),
            shutdown_grace: Duration::from_secs(self.positive(
                &raw.shutdown_grace_secs,
                "shutdown_grace_secs",
                1..=3600,
                20,
            )),
            log_level: match &raw.log_level {
                Some(l)
                    if tracing_subscriber::EnvFilter::try_new(l.get_ref()).is_err()
                        || l.get_ref().trim().is_empty() =>
                {
                    self.report(l, "log_level must be a level (error, warn, info, debug, trace) or a filter such as \"tidings=debug\"");
                    "info".to_string()
                }
                Some(l) => l.get_ref().clone(),
                None => "info".to_string(),
            },
            log_json: match &raw.log_format {
                Some(f) if f.get_ref() == "json" => true,
                Some(f) if f.get_ref() == "text" => false,
                Some(f) => {
                    self.report(f, "log_format must be \"text\" or \"json\"");
                    false
                }
                None => false,
            },
            retention: Retention {
                keep_days: raw
                    .keep_days
                    .as_ref()
                    .map(|_| self.positive(&raw.keep_days, "keep_days", 1..=36_500, 0) as u32),
                keep_items: raw.keep_items.as_ref().map(|_| {
                    self.positive(&raw.keep_items, "keep_items", 1..=10_000_000, 0) as u32
                }),
            },
        }
    }

    fn positive(
        &mut self,
        value: &Option<Spanned<i64>>,
        key: &str,
        range: std::ops::RangeInclusive<i64>,
        default: u64,
    ) -> u64 {
        match value {
            Some(v) if range.contains(v.get_ref()) => *v.get_ref() as u64,
            Some(v) => {
                self.report(
                    v,
                    format!(
                        "{key} must be between {} and {}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
            None => default,
        }
    }

    fn schedule(&mut self, s: &Spanned<String>) -> Option<Schedule> {
        Schedule::parse(s.get_ref())
            .map_err(|e| {
                self.report(
                    s,
                    format!(
                        "{e} (crontab examples: \"*/15 * * * *\", \"0 7 * * mon-fri\", \"@hourly\")"
                    ),
                )
            })
            .ok()
    }

    fn feed(
        &mut self,
        raw: RawFeed,
        default: &Schedule,
        defaults: Retention,
        seen: &mut HashSet<String>,
    ) -> Option<FeedConfig> {
        let url = match url::Url::parse(raw.url.get_ref().trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            Ok(u) => {
                self.report(
                    &raw.url,
                    format!("feed url must be http or https, not {:?}", u.scheme()),
                );
                return None;
            }
            Err(e) => {
                self.report(&raw.url, format!("feed url {:?} is not a URL ({e}); expected e.g. \"https://example.org/rss.xml\"", raw.url.get_ref()));
                return None;
            }
        };
        if !seen.insert(url.to_string()) {
            self.report(&raw.url, format!("feed {url} is listed twice"));
            return None;
        }
        let schedule = match &raw.schedule {
            Some(s) => self.schedule(s)?,
            None => default.clone(),
        };
        for tag in &raw.tags {
            if tag.get_ref().trim().is_empty() {
                self.report(tag, "tags must not be empty");
            }
        }
        let name = match raw.name {
            Some(n) if !n.get_ref().trim().is_empty() => n.into_inner().trim().to_string(),
            Some(n) => {
                self.report(&n, "name must not be empty (leave it out to use the URL)");
                display_name(&url)
            }
            None => display_name(&url),
        };
        Some(FeedConfig {
            url,
            name,
            tags: raw
                .tags
                .into_iter()
                .map(|t| t.into_inner().trim().to_string())
                .collect(),
            schedule,
            full_text: raw.full_text.unwrap_or(false),
            retention: Retention {
                keep_days: match &raw.keep_days {
                    Some(_) => {
                        Some(self.positive(&raw.keep_days, "keep_days", 1..=36_500, 0) as u32)
                    }
                    None => defaults.keep_days,
                },
                keep_items: match &raw.keep_items {
                    Some(_) => {
                        Some(self.positive(&raw.keep_items, "keep_items", 1..=10_000_000, 0) as u32)
                    }
                    None => defaults.keep_items,
                },
            },
        })
    }

    fn site(&mut self, raw: raw::RawSite) -> Option<crate::extract::SiteRule> {
        let domain = raw
            .domain
            .get_ref()
            .trim()
            .trim_start_matches('.')
            .to_ascii_lowercase();
        if domain.is_empty() || domain.contains('/') || domain.contains(':') {
            self.report(&raw.domain, "site domain must be a host name such as \"koreatimes.co.kr\" (subdomains match too)");
            return None;
        }
        let mut ok = true;
        for selector in raw.body.iter().chain(raw.remove.iter()) {
            if let Err(e) = dom_query::Matcher::new(selector.get_ref()) {
                self.report(
                    selector,
                    format!("invalid CSS selector {:?}: {e:?}", selector.get_ref()),
                );
                ok = false;
            }
        }
        ok.then(|| crate::extract::SiteRule {
            domain,
            body: raw.body.map(Spanned::into_inner),
            remove: raw.remove.into_iter().map(Spanned::into_inner).collect(),
        })
    }

    /// Compiles a filter; a mistake is placed at its file position inside the rule.
    fn filter(
        &mut self,
        output: &str,
        src: &Spanned<String>,
        terms: &crate::filter::TermLists,
    ) -> Option<crate::filter::Rules> {
        match crate::filter::compile(src.get_ref(), terms) {
            Ok(rules) => Some(rules),
            Err(e) => {
                let (start, exact) = self.locator.string_content(src.span(), src.get_ref());
                let (at, len) = if exact {
                    (start + e.offset, e.len.max(1))
                } else {
                    (start, 1)
                };
                let p = self.locator.problem(
                    at..at + len,
                    format!("filter of output {output:?}: {}", e.expected),
                );
                self.problems.push(p);
                None
            }
        }
    }

    fn output(
        &mut self,
        raw: RawOutput,
        feeds: &[FeedConfig],
        terms: &crate::filter::TermLists,
        seen: &mut HashSet<String>,
    ) -> Option<OutputConfig> {
        let name = raw.name.get_ref().clone();
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && !name.starts_with('.');
        if !valid {
            self.report(&raw.name, format!("output name {name:?} must be letters, digits, '-', '_' or '.' (it becomes /feeds/<name>.xml)"));
            return None;
        }
        if !seen.insert(name.clone()) {
            self.report(&raw.name, format!("output {name:?} is defined twice"));
            return None;
        }
        let mut from = Selection::default();
        if let Some(raw_from) = raw.from {
            let raw_from = raw_from.into_inner();
            for tag in raw_from.tags {
                if !feeds.iter().any(|f| f.tags.contains(tag.get_ref())) {
                    let known = known_tags(feeds);
                    self.report(
                        &tag,
                        format!(
                            "no feed has the tag {:?} (tags in use: {known})",
                            tag.get_ref()
                        ),
                    );
                }
                from.tags.push(tag.into_inner());
            }
            for feed in raw_from.feeds {
                let f = feed.get_ref();
                if !feeds.iter().any(|c| c.name == *f || c.url.as_str() == f) {
                    self.report(
                        &feed,
                        format!("no feed is named {f:?}: expected a feed's name or URL"),
                    );
                }
                from.feeds.push(feed.into_inner());
            }
        }
        let limit = self.positive(&raw.limit, "limit", 1..=10_000, 50) as usize;
        let token = raw.token.and_then(|t| {
            let ok = t.get_ref().len() >= 16 && t.get_ref().chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            if !ok {
                self.report(&t, "token must be at least 16 characters of letters, digits, '-' or '_' (e.g. the output of `openssl rand -hex 16`)");
            }
            ok.then(|| t.into_inner())
        });
        let filter = match &raw.filter {
            Some(src) => Some(self.filter(&name, src, terms)?),
            None => None,
        };
        Some(OutputConfig {
            filter,
            title: raw.title.unwrap_or_else(|| name.clone()),
            description: raw.description.unwrap_or_default(),
            name,
            from,
            limit,
            token,
        })
    }
}

fn known_tags(feeds: &[FeedConfig]) -> String {
    let mut tags: Vec<&str> = feeds
        .iter()
        .flat_map(|f| f.tags.iter().map(String::as_str))
        .collect();
    tags.sort_unstable();
    tags.dedup();
    if tags.is_empty() {
        "none".to_string()
    } else {
        tags.join(", ")
    }
}

fn display_name(url: &url::Url) -> String {
    format!(
        "{}{}",
        url.host_str().unwrap_or_default(),
        url.path().trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests;
