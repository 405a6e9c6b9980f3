//! The TOML file as written: serde structs that reject unknown keys and keep the
//! position of every value that is validated later, so errors can name line:col.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    #[serde(default)]
    pub daemon: RawDaemon,
    #[serde(default)]
    pub feed: Vec<RawFeed>,
    #[serde(default)]
    pub output: Vec<RawOutput>,
    #[serde(default)]
    pub terms: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub site: Vec<RawSite>,
}

/// One `[[site]]`: extraction rules for a domain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub domain: Spanned<String>,
    pub body: Option<Spanned<String>>,
    #[serde(default)]
    pub remove: Vec<Spanned<String>>,
}

/// `[daemon]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDaemon {
    pub database: Option<Spanned<String>>,
    pub listen: Option<Spanned<String>>,
    pub schedule: Option<Spanned<String>>,
    pub timezone: Option<Spanned<String>>,
    pub concurrency: Option<Spanned<i64>>,
    pub timeout_secs: Option<Spanned<i64>>,
    pub connect_timeout_secs: Option<Spanned<i64>>,
    pub max_feed_bytes: Option<Spanned<i64>>,
    pub max_items_per_feed: Option<Spanned<i64>>,
    pub max_page_bytes: Option<Spanned<i64>>,
    pub per_host_concurrency: Option<Spanned<i64>>,
    pub feeds_per_host: Option<Spanned<i64>>,
    pub allow_private_articles: Option<bool>,
    pub link_schemes: Option<Vec<Spanned<String>>>,
    pub shutdown_grace_secs: Option<Spanned<i64>>,
    pub lease_secs: Option<Spanned<i64>>,
    pub metrics_listen: Option<Spanned<String>>,
    pub public_url: Option<Spanned<String>>,
    pub client_timeout_secs: Option<Spanned<i64>>,
    pub request_timeout_secs: Option<Spanned<i64>>,
    pub max_connections: Option<Spanned<i64>>,
    pub max_database_mb: Option<Spanned<i64>>,
    pub log_level: Option<Spanned<String>>,
    pub log_format: Option<Spanned<String>>,
    pub keep_days: Option<Spanned<i64>>,
    pub keep_items: Option<Spanned<i64>>,
    pub dedup_window_hours: Option<Spanned<i64>>,
    #[serde(default)]
    pub prefer: Vec<Spanned<String>>,
}

/// One `[[feed]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeed {
    pub url: Spanned<String>,
    pub name: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    pub schedule: Option<Spanned<String>>,
    pub full_text: Option<bool>,
    pub keep_days: Option<Spanned<i64>>,
    pub keep_items: Option<Spanned<i64>>,
}

/// One `[[output]]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawOutput {
    pub name: Spanned<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub from: Option<Spanned<RawFrom>>,
    pub limit: Option<Spanned<i64>>,
    pub token: Option<Spanned<String>>,
    pub filter: Option<Spanned<String>>,
    pub dedup: Option<bool>,
    pub prefer: Option<Vec<Spanned<String>>>,
}

/// `from = { tags = [...], feeds = [...] }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFrom {
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    #[serde(default)]
    pub feeds: Vec<Spanned<String>>,
}
