//! Validation: raw TOML values → the parsed, checked `Config`, every problem
//! positioned (file:line:column) and worded with what was expected.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use toml::Spanned;

use super::raw::{self, RawConfig, RawFeed, RawOutput};
use super::{
    Config, DaemonConfig, DedupConfig, FeedConfig, OutputConfig, Problem, Retention, Schedule,
    Selection,
};

/// Turns byte spans into line:column positions.
pub(super) struct Locator<'a> {
    pub(super) text: &'a str,
}

impl Locator<'_> {
    pub(super) fn problem(&self, span: std::ops::Range<usize>, message: String) -> Problem {
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

pub(super) struct Validator<'a> {
    pub(super) locator: Locator<'a>,
    pub(super) problems: Vec<Problem>,
}

const DEFAULT_SCHEDULE: &str = "*/15 * * * *";

impl Validator<'_> {
    fn report<T>(&mut self, at: &Spanned<T>, message: impl Into<String>) {
        let p = self.locator.problem(at.span(), message.into());
        self.problems.push(p);
    }

    pub(super) fn config(&mut self, mut raw: RawConfig, path: &Path) -> Config {
        let daemon_prefer = std::mem::take(&mut raw.daemon.prefer);
        let mut daemon = self.daemon(raw.daemon, path);
        let mut seen_urls = HashSet::new();
        let mut feeds: Vec<Arc<FeedConfig>> = raw
            .feed
            .into_iter()
            .filter_map(|f| self.feed(f, &daemon.schedule, daemon.retention, &mut seen_urls))
            .map(Arc::new)
            .collect();
        // `collect` reused the raw feeds' buffer (in-place iteration), 50 times
        // the size 8-byte `Arc`s need: 4 MB kept for the daemon's life at 10,000
        // feeds.
        feeds.shrink_to_fit();
        daemon.dedup.prefer = self.prefer(&daemon_prefer, &feeds);
        let mut seen_names = HashSet::new();
        let terms = crate::filter::TermLists::new(raw.terms);
        let outputs = raw
            .output
            .into_iter()
            .filter_map(|o| self.output(o, &feeds, &terms, &daemon.dedup, &mut seen_names))
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
                self.report(db, "database must be a file path, e.g. \"tidings.db\", or a PostgreSQL URL, e.g. \"postgres://tidings@db.example:5432/tidings\"");
                PathBuf::from("tidings.db")
            }
            Some(db) => PathBuf::from(db.get_ref()),
            None => PathBuf::from("tidings.db"),
        };
        // A PostgreSQL URL is taken as it is (several daemons share it).
        let is_url = database.to_str().is_some_and(crate::store::is_postgres_url);
        let database = if database.is_relative() && !is_url {
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
            link_schemes: self.link_schemes(raw.link_schemes.as_deref().unwrap_or(&[])),
            feeds_per_host: self.positive(&raw.feeds_per_host, "feeds_per_host", 1..=1024, 4) as usize,
            metrics_listen: raw.metrics_listen.as_ref().and_then(|l| {
                l.get_ref().parse().map_err(|_| self.report(l, format!("metrics_listen {:?} is not an address: expected IP:PORT, e.g. \"127.0.0.1:9100\"", l.get_ref()))).ok()
            }),
            public_url: raw.public_url.as_ref().and_then(|u| self.public_url(u)),
            client_timeout: Duration::from_secs(self.positive(
                &raw.client_timeout_secs,
                "client_timeout_secs",
                1..=3600,
                15,
            )),
            request_timeout: Duration::from_secs(self.positive(
                &raw.request_timeout_secs,
                "request_timeout_secs",
                1..=86_400,
                120,
            )),
            max_connections: self.positive(
                &raw.max_connections,
                "max_connections",
                16..=1_000_000,
                1024,
            ) as usize,
            max_database_mb: raw.max_database_mb.as_ref().map(|_| self.positive(&raw.max_database_mb, "max_database_mb", 1..=1 << 24, 0)),
            lease: Duration::from_secs(self.positive(
                &raw.lease_secs,
                "lease_secs",
                2..=crate::store::MAX_LEASE_SECS as i64,
                crate::store::DEFAULT_LEASE_SECS,
            )),
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
            dedup: DedupConfig {
                window: Duration::from_secs(
                    3600 * self.positive(
                        &raw.dedup_window_hours,
                        "dedup_window_hours",
                        1..=720,
                        u64::from(crate::dedup::DEFAULT_WINDOW_HOURS),
                    ),
                ),
                prefer: Vec::new(),
            },
        }
    }

    /// `prefer = [...]`: each entry must name a feed (by name or URL); the
    /// result lists feed names.
    fn prefer(&mut self, raw: &[Spanned<String>], feeds: &[Arc<FeedConfig>]) -> Vec<String> {
        raw.iter()
            .filter_map(|p| {
                let f = p.get_ref();
                let feed = feeds.iter().find(|c| c.name == *f || c.url.as_str() == f);
                if feed.is_none() {
                    self.report(
                        p,
                        format!("prefer: no feed is named {f:?}: expected a feed's name or URL"),
                    );
                }
                feed.map(|c| c.name.clone())
            })
            .collect()
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

    /// `public_url`: http(s), no query, fragment or credentials, ending in `/`
    /// (feed paths are appended), and nothing that would need escaping in XML or
    /// JSON (it is put into served documents as is).
    fn public_url(&mut self, raw: &Spanned<String>) -> Option<url::Url> {
        let text = raw.get_ref().trim();
        let mut url = match url::Url::parse(text) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => u,
            Ok(u) => {
                self.report(
                    raw,
                    format!("public_url must be http or https, not {:?}", u.scheme()),
                );
                return None;
            }
            Err(e) => {
                self.report(raw, format!("public_url {text:?} is not a URL ({e}); expected the address readers use, e.g. \"https://feeds.example.org/\""));
                return None;
            }
        };
        if url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
            || url.password().is_some()
        {
            self.report(raw, "public_url must not have a query, a fragment or a user name: feed paths are appended to it, e.g. \"https://example.org/tidings/\"");
            return None;
        }
        if !url.path().ends_with('/') {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        if url.as_str().contains(['&', '\'', '"', '<', '>', '\\']) {
            self.report(raw, "public_url must not contain & ' \" < > or \\");
            return None;
        }
        Some(url)
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

    /// `link_schemes`: scheme names; the ones that run code or read local
    /// files are refused.
    fn link_schemes(&mut self, raw: &[Spanned<String>]) -> Vec<String> {
        let mut out = Vec::new();
        for s in raw {
            let scheme = s
                .get_ref()
                .trim()
                .trim_end_matches(':')
                .to_ascii_lowercase();
            let well_formed = scheme
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if !well_formed {
                self.report(
                    s,
                    format!(
                        "link_schemes: {:?} is not a URL scheme (e.g. \"gemini\")",
                        s.get_ref()
                    ),
                );
            } else if matches!(
                scheme.as_str(),
                "javascript" | "vbscript" | "data" | "file" | "blob"
            ) {
                self.report(s, format!("link_schemes: {scheme:?} links can run code or read local files in a reader; it cannot be allowed"));
            } else if !matches!(scheme.as_str(), "http" | "https") && !out.contains(&scheme) {
                out.push(scheme);
            }
        }
        out
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
        feeds: &[Arc<FeedConfig>],
        terms: &crate::filter::TermLists,
        dedup: &DedupConfig,
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
        let prefer = match &raw.prefer {
            Some(list) => self.prefer(list, feeds),
            None => dedup.prefer.clone(),
        };
        Some(OutputConfig {
            dedup: raw.dedup.unwrap_or(true),
            prefer,
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

fn known_tags(feeds: &[Arc<FeedConfig>]) -> String {
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
