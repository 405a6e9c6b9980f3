//! Which filtered outputs an item belongs to: the glue between the config's
//! compiled filters and the items the pipeline and the store hand around.
//!
//! Pure functions plus [`Filters`], the shared, reloadable set of compiled rules.
//! Filters see plain text: summaries and contents are converted from HTML first,
//! so markup and attribute values never match.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::config::{Config, FeedConfig, OutputConfig};
use crate::filter::{ItemView, Rules};
use crate::model::{NewItem, StoredItem};
use crate::normalize::hex_digest;
use crate::publish::html_to_text;

/// One filtered output: its name, the feeds it draws on, its rules.
#[derive(Debug, Clone)]
pub struct OutputFilter {
    /// Output name.
    pub name: String,
    /// Configured URLs of its feeds.
    pub feeds: HashSet<String>,
    /// Compiled rules.
    pub rules: Rules,
    /// Identifies rules + term lists + feeds; a change means "re-evaluate".
    pub fingerprint: String,
}

/// The filtered outputs of a config.
pub fn filters_of(config: &Config) -> Vec<OutputFilter> {
    config
        .outputs
        .iter()
        .filter_map(|o| {
            let rules = o.filter.clone()?;
            Some(OutputFilter {
                name: o.name.clone(),
                feeds: config.feeds_of(o).map(|f| f.url.to_string()).collect(),
                fingerprint: fingerprint(config, o, &rules),
                rules,
            })
        })
        .collect()
}

fn fingerprint(config: &Config, output: &OutputConfig, rules: &Rules) -> String {
    let mut text = format!("{}\n{:?}\n", rules.source(), config.terms);
    for feed in config.feeds_of(output) {
        text.push_str(&format!("{}\t{}\t{:?}\n", feed.url, feed.name, feed.tags));
    }
    hex_digest(text.as_bytes())
}

/// The compiled filters, shared by the pipeline and the daemon; replaced on reload.
#[derive(Clone, Default)]
pub struct Filters(Arc<RwLock<Arc<Vec<OutputFilter>>>>);

impl Filters {
    /// The filters of `config`.
    pub fn new(config: &Config) -> Filters {
        Filters(Arc::new(RwLock::new(Arc::new(filters_of(config)))))
    }

    /// Switches to a reloaded config's filters.
    pub fn set(&self, config: &Config) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(filters_of(config));
    }

    /// The current filters.
    pub fn current(&self) -> Arc<Vec<OutputFilter>> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Text fields of an item, converted once for a rule to read.
pub struct FilterText {
    summary: String,
    content: String,
}

impl FilterText {
    /// Plain text of an item's summary and content HTML.
    pub fn new(summary: Option<&str>, content: Option<&str>) -> FilterText {
        FilterText {
            summary: summary.map(html_to_text).unwrap_or_default(),
            content: content.map(html_to_text).unwrap_or_default(),
        }
    }
}

/// The view of a freshly parsed item.
pub fn new_item_view<'a>(
    item: &'a NewItem,
    text: &'a FilterText,
    feed: &'a FeedConfig,
) -> ItemView<'a> {
    ItemView {
        title: &item.title,
        summary: &text.summary,
        content: &text.content,
        author: item.author.as_deref().unwrap_or(""),
        categories: &item.categories,
        link: item.link.as_deref().unwrap_or(""),
        feed_name: &feed.name,
        feed_tags: &feed.tags,
        published: item.published,
    }
}

/// The view of a stored item.
pub fn stored_item_view<'a>(
    item: &'a StoredItem,
    text: &'a FilterText,
    tags: &'a [String],
) -> ItemView<'a> {
    ItemView {
        title: &item.title,
        summary: &text.summary,
        content: &text.content,
        author: item.author.as_deref().unwrap_or(""),
        categories: &item.categories,
        link: item.link.as_deref().unwrap_or(""),
        feed_name: &item.feed_name,
        feed_tags: tags,
        published: Some(item.date),
    }
}

/// For one feed's items: the filtered outputs drawing on the feed, and per item
/// the indices of those whose rules match.
pub fn verdicts(
    filters: &[OutputFilter],
    feed: &FeedConfig,
    items: &[NewItem],
    now: DateTime<Utc>,
) -> (Vec<String>, Vec<Vec<usize>>) {
    let relevant: Vec<&OutputFilter> = filters
        .iter()
        .filter(|f| f.feeds.contains(feed.url.as_str()))
        .collect();
    let names = relevant.iter().map(|f| f.name.clone()).collect();
    if relevant.is_empty() {
        return (names, vec![Vec::new(); items.len()]);
    }
    let matches = items
        .iter()
        .map(|item| {
            let text = FilterText::new(item.summary.as_deref(), item.content.as_deref());
            let view = new_item_view(item, &text, feed);
            relevant
                .iter()
                .enumerate()
                .filter(|(_, f)| f.rules.matches(&view, now))
                .map(|(i, _)| i)
                .collect()
        })
        .collect();
    (names, matches)
}
