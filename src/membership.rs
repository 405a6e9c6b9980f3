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
use crate::normalize::html_to_text;

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
    let relevant = drawing_on(filters, feed);
    let names = relevant.iter().map(|f| f.name.clone()).collect();
    if relevant.is_empty() {
        return (names, vec![Vec::new(); items.len()]);
    }
    let matches = items
        .iter()
        .map(|item| {
            let text = FilterText::new(item.summary.as_deref(), item.content.as_deref());
            matching(&relevant, &new_item_view(item, &text, feed), now)
        })
        .collect();
    (names, matches)
}

/// The filtered outputs that draw on `feed`.
fn drawing_on<'a>(filters: &'a [OutputFilter], feed: &FeedConfig) -> Vec<&'a OutputFilter> {
    filters
        .iter()
        .filter(|f| f.feeds.contains(feed.url.as_str()))
        .collect()
}

/// Indices (into `relevant`) of the filters whose rules match `view`.
fn matching(relevant: &[&OutputFilter], view: &ItemView, now: DateTime<Utc>) -> Vec<usize> {
    relevant
        .iter()
        .enumerate()
        .filter(|(_, f)| f.rules.matches(view, now))
        .map(|(i, _)| i)
        .collect()
}

/// One line of `tidings filter --jsonl`: an item as a user writes it to test a rule.
#[derive(Debug, serde::Deserialize)]
pub struct JsonItem {
    /// Echoed back.
    #[serde(default)]
    pub id: serde_json::Value,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    link: String,
    #[serde(default)]
    author: String,
    #[serde(default)]
    categories: Vec<String>,
    /// A feed name or URL from the config (its tags then apply), or any name.
    #[serde(default)]
    feed: String,
    #[serde(default)]
    published: Option<DateTime<Utc>>,
}

/// Evaluates `rules` on one JSON item; the feed's tags come from `config`.
pub fn judge_json(
    rules: &Rules,
    config: &Config,
    item: &JsonItem,
    now: DateTime<Utc>,
) -> serde_json::Value {
    let feed = config
        .feeds
        .iter()
        .find(|f| f.name == item.feed || f.url.as_str() == item.feed);
    let no_tags = Vec::new();
    let view = ItemView {
        title: &item.title,
        summary: &item.summary,
        content: &item.content,
        author: &item.author,
        categories: &item.categories,
        link: &item.link,
        feed_name: feed.map_or(item.feed.as_str(), |f| f.name.as_str()),
        feed_tags: feed.map_or(&no_tags, |f| &f.tags),
        published: item.published,
    };
    let explanation = rules.explain(&view, now);
    serde_json::json!({ "id": item.id, "matched": explanation.matched, "reasons": explanation.reasons })
}

/// Why a stored item is in an output or not, in words (`tidings explain`).
pub fn explain_stored(
    config: &Config,
    output: &OutputConfig,
    item: &StoredItem,
    stored_member: Option<bool>,
    now: DateTime<Utc>,
) -> Vec<String> {
    let mut lines = vec![
        format!("output:  {}", output.name),
        format!(
            "item:    {} <{}>",
            item.title,
            item.link.as_deref().unwrap_or("no link")
        ),
        format!("id:      urn:tidings:{}", item.uid),
        format!("feed:    {}", item.feed_name),
    ];
    let selected = config
        .feeds_of(output)
        .any(|f| f.url.as_str() == item.feed_url);
    if !selected {
        lines.push(
            "verdict: out: the output does not draw on this item's feed (see its `from`)".into(),
        );
        return lines;
    }
    let Some(rules) = &output.filter else {
        lines.push(
            "verdict: in: the output has no filter, so every item of its feeds is in it".into(),
        );
        return lines;
    };
    let tags = config
        .feeds
        .iter()
        .find(|f| f.url.as_str() == item.feed_url)
        .map(|f| f.tags.clone())
        .unwrap_or_default();
    let text = FilterText::new(item.summary.as_deref(), item.content.as_deref());
    let explanation = rules.explain(&stored_item_view(item, &text, &tags), now);
    lines.push(format!(
        "verdict: {}",
        if explanation.matched {
            "in: the filter matches"
        } else {
            "out: the filter does not match"
        }
    ));
    if let Some(member) = stored_member
        && member != explanation.matched
    {
        lines.push(format!(
            "note:    the stored verdict says {}; it is refreshed when the daemon next starts or reloads",
            if member { "in" } else { "out" }
        ));
    }
    lines.push("why:".into());
    lines.extend(explanation.reasons.iter().map(|r| format!("  {r}")));
    lines
}

/// Whether `rules` match a stored item whose feed has `tags`: the verdict the
/// daemon stores when it re-evaluates an output (`tidings preview` predicts it).
pub fn stored_matches(
    rules: &Rules,
    item: &StoredItem,
    tags: &[String],
    now: DateTime<Utc>,
) -> bool {
    let text = FilterText::new(item.summary.as_deref(), item.content.as_deref());
    rules.matches(&stored_item_view(item, &text, tags), now)
}

/// Why `rules` match a stored item or not, clause by clause (as `explain`).
pub fn stored_explanation(
    rules: &Rules,
    item: &StoredItem,
    tags: &[String],
    now: DateTime<Utc>,
) -> crate::filter::Explanation {
    let text = FilterText::new(item.summary.as_deref(), item.content.as_deref());
    rules.explain(&stored_item_view(item, &text, tags), now)
}

/// For one stored item of `feed`: the filtered outputs drawing on the feed and
/// the indices of those whose rules match (after its full text arrived).
pub fn verdicts_stored(
    filters: &[OutputFilter],
    feed: &FeedConfig,
    item: &StoredItem,
    now: DateTime<Utc>,
) -> (Vec<String>, Vec<usize>) {
    let relevant = drawing_on(filters, feed);
    let text = FilterText::new(item.summary.as_deref(), item.content.as_deref());
    let matched = matching(&relevant, &stored_item_view(item, &text, &feed.tags), now);
    (relevant.iter().map(|f| f.name.clone()).collect(), matched)
}
