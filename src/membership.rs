//! Which filtered outputs an item belongs to: the glue between the config's
//! compiled filters and the items the pipeline and the store hand around.
//!
//! Pure functions plus [`Filters`], the shared, reloadable set of compiled rules.
//! Filters see plain text: each item's summary and content text, computed once
//! when it was stored (`text::prepare`), so markup and attribute values never
//! match and nothing is converted again here.

use std::collections::HashSet;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::config::{Config, FeedConfig, OutputConfig};
use crate::filter::{ItemView, Rules};
use crate::model::{NewItem, StoredItem};
use crate::normalize::hex_digest;

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

/// The plain text of an optional body ("" without one).
fn text_of(body: &Option<crate::model::HtmlText>) -> &str {
    body.as_ref().map_or("", |b| b.text.as_str())
}

/// The view of a freshly parsed item.
pub fn new_item_view<'a>(item: &'a NewItem, feed: &'a FeedConfig) -> ItemView<'a> {
    ItemView {
        title: &item.title,
        summary: text_of(&item.summary),
        content: text_of(&item.content),
        author: item.author.as_deref().unwrap_or(""),
        categories: &item.categories,
        link: item.link.as_deref().unwrap_or(""),
        feed_name: &feed.name,
        feed_tags: &feed.tags,
        published: item.published,
    }
}

/// The view of a stored item.
pub fn stored_item_view<'a>(item: &'a StoredItem, tags: &'a [String]) -> ItemView<'a> {
    ItemView {
        title: &item.title,
        summary: text_of(&item.summary),
        content: text_of(&item.content),
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
        .map(|item| matching(&relevant, &new_item_view(item, feed), now))
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
        .filter(|(_, f)| matches_contained(&f.name, &f.rules, view, now))
        .map(|(i, _)| i)
        .collect()
}

/// Whether `rules` match `view`. A panic while evaluating one item is a bug,
/// but it must not stop start-up, a reload or the other items: it is logged
/// with the output and the item, and the item counts as not matching.
pub fn matches_contained(output: &str, rules: &Rules, view: &ItemView, now: DateTime<Utc>) -> bool {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rules.matches(view, now))) {
        Ok(matched) => matched,
        Err(_) => {
            tracing::error!(
                output,
                feed = view.feed_name,
                item = view.link,
                title = view.title,
                "filter evaluation panicked on this item (a bug; please report it): it is left out of the output"
            );
            false
        }
    }
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
    let explanation = rules.explain(&stored_item_view(item, &tags), now);
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
    output: &str,
    rules: &Rules,
    item: &StoredItem,
    tags: &[String],
    now: DateTime<Utc>,
) -> bool {
    matches_contained(output, rules, &stored_item_view(item, tags), now)
}

/// Why `rules` match a stored item or not, clause by clause (as `explain`).
pub fn stored_explanation(
    rules: &Rules,
    item: &StoredItem,
    tags: &[String],
    now: DateTime<Utc>,
) -> crate::filter::Explanation {
    rules.explain(&stored_item_view(item, tags), now)
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
    let matched = matching(&relevant, &stored_item_view(item, &feed.tags), now);
    (relevant.iter().map(|f| f.name.clone()).collect(), matched)
}
