//! `tidings preview`: which stored items would enter and leave each output if
//! the daemon reloaded an edited config, with the reasons, before it does.
//!
//! "Now" is what the daemon serves: the stored memberships and output feeds,
//! cut to the running config's `limit`. "After" is what a reload computes:
//! an output whose rules, term lists and feeds are unchanged (the same
//! fingerprint as stored) keeps its stored memberships; any other filtered
//! output is evaluated afresh over its feeds' stored items, by the same
//! [`membership`] functions the daemon re-evaluates with; both are cut by
//! [`newest_distinct`], as served. Reads only: nothing is written.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::{Config, OutputConfig};
use crate::membership::{self, OutputFilter};
use crate::model::StoredItem;
use crate::publish::{entries_from, served_items};
use crate::store::{Store, StoreError};

/// How an item's presence in an output changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Served after the reload, not now.
    Enters,
    /// Served now, not after the reload.
    Leaves,
}

/// One item entering or leaving one output (a line of `--json`).
#[derive(Debug, Clone, Serialize)]
pub struct ItemChange {
    /// The output's name.
    pub output: String,
    /// The item's public id, `urn:tidings:…` as served.
    pub id: String,
    /// The item's link.
    pub link: Option<String>,
    /// The item's title.
    pub title: String,
    /// Whether it enters or leaves.
    pub change: Change,
    /// Why: first the cause in words, then the clauses of the edited rule as
    /// `tidings explain` shows them (for a filtered output drawing on the feed).
    pub reasons: Vec<String>,
}

/// One output's preview.
#[derive(Debug, Clone)]
pub struct OutputPreview {
    /// The output's name.
    pub output: String,
    /// Items served now.
    pub served_now: usize,
    /// Items served after the reload.
    pub served_after: usize,
    /// The items that enter, newest first, then those that leave.
    pub changes: Vec<ItemChange>,
}

/// Previews every output of `edited` (or only `only`) against what is served
/// now under `current`, both over `store`.
pub fn preview(
    store: &Store,
    current: &Config,
    edited: &Config,
    only: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<OutputPreview>, StoreError> {
    let filters: HashMap<String, OutputFilter> = membership::filters_of(edited)
        .into_iter()
        .map(|f| (f.name.clone(), f))
        .collect();
    let tags: HashMap<String, Vec<String>> = edited
        .feeds
        .iter()
        .map(|f| (f.url.to_string(), f.tags.clone()))
        .collect();
    let mut names: Vec<&str> = edited.outputs.iter().map(|o| o.name.as_str()).collect();
    for o in &current.outputs {
        if !names.contains(&o.name.as_str()) {
            names.push(&o.name);
        }
    }
    let mut previews = Vec::new();
    for name in names.into_iter().filter(|n| only.is_none_or(|o| o == *n)) {
        let before_output = current.outputs.iter().find(|o| o.name == name);
        let after_output = edited.outputs.iter().find(|o| o.name == name);
        let before = match before_output {
            Some(o) => served_now(store, current, o)?,
            None => Vec::new(),
        };
        let after = match after_output {
            Some(o) => served_after(store, edited, o, filters.get(name), &tags, now)?,
            None => Vec::new(),
        };
        let ctx = Causes {
            store,
            name,
            before_output,
            current,
            after_output,
            edited,
            filter: filters.get(name),
            tags: &tags,
            now,
        };
        let before_ids: HashSet<&str> = before.iter().map(|i| i.uid.as_str()).collect();
        let after_ids: HashSet<&str> = after.iter().map(|i| i.uid.as_str()).collect();
        let mut changes = Vec::new();
        for item in after
            .iter()
            .filter(|i| !before_ids.contains(i.uid.as_str()))
        {
            changes.push(ctx.change(item, Change::Enters)?);
        }
        for item in before
            .iter()
            .filter(|i| !after_ids.contains(i.uid.as_str()))
        {
            changes.push(ctx.change(item, Change::Leaves)?);
        }
        previews.push(OutputPreview {
            output: name.to_string(),
            served_now: before.len(),
            served_after: after.len(),
            changes,
        });
    }
    Ok(previews)
}

/// What the daemon serves now: stored feeds and memberships, `current`'s limit.
fn served_now(
    store: &Store,
    current: &Config,
    o: &OutputConfig,
) -> Result<Vec<StoredItem>, StoreError> {
    let feeds = current.feeds_of(o).count();
    served_items(
        store,
        &o.name,
        o.filter.is_some(),
        feeds,
        o.limit,
        o.dedup.then_some(o.prefer.as_slice()),
    )
}

/// What the daemon serves after reloading `edited`.
fn served_after(
    store: &Store,
    edited: &Config,
    o: &OutputConfig,
    filter: Option<&OutputFilter>,
    tags: &HashMap<String, Vec<String>>,
    now: DateTime<Utc>,
) -> Result<Vec<StoredItem>, StoreError> {
    let feeds: Vec<String> = edited.feeds_of(o).map(|f| f.url.to_string()).collect();
    let stories = o.dedup.then_some(o.prefer.as_slice());
    let copies = |ids: &[i64]| store.story_copies_of_feeds(&feeds, ids);
    let Some(filter) = filter else {
        return entries_from(
            o.limit,
            stories,
            |n| store.newest_items_of(&feeds, n),
            copies,
        );
    };
    if store.output_fingerprint(&o.name)?.as_deref() == Some(filter.fingerprint.as_str()) {
        // A reload does not re-evaluate it: the stored verdicts are served.
        return entries_from(
            o.limit,
            stories,
            |n| store.output_items(&o.name, true, feeds.len(), n),
            copies,
        );
    }
    let no_tags = Vec::new();
    entries_from(
        o.limit,
        stories,
        |n| {
            // The newest n items that pass, walking the feeds' items newest first.
            let mut take = n.max(64);
            loop {
                let items = store.newest_items_of(&feeds, take)?;
                let exhausted = items.len() < take;
                let passing: Vec<StoredItem> = items
                    .into_iter()
                    .filter(|i| {
                        let item_tags = tags.get(&i.feed_url).unwrap_or(&no_tags);
                        membership::stored_matches(&filter.name, &filter.rules, i, item_tags, now)
                    })
                    .take(n)
                    .collect();
                if passing.len() == n || exhausted {
                    return Ok(passing);
                }
                take *= 4;
            }
        },
        copies,
    )
}

/// What it takes to say why one item enters or leaves one output.
struct Causes<'a> {
    store: &'a Store,
    name: &'a str,
    before_output: Option<&'a OutputConfig>,
    current: &'a Config,
    after_output: Option<&'a OutputConfig>,
    edited: &'a Config,
    filter: Option<&'a OutputFilter>,
    tags: &'a HashMap<String, Vec<String>>,
    now: DateTime<Utc>,
}

impl Causes<'_> {
    fn change(&self, item: &StoredItem, change: Change) -> Result<ItemChange, StoreError> {
        let draws = |config: &Config, o: Option<&OutputConfig>| {
            o.is_some_and(|o| config.feeds_of(o).any(|f| f.url.as_str() == item.feed_url))
        };
        let drawn_before = draws(self.current, self.before_output);
        let drawn_after = draws(self.edited, self.after_output);
        let no_tags = Vec::new();
        let item_tags = self.tags.get(&item.feed_url).unwrap_or(&no_tags);
        let explanation = self
            .filter
            .filter(|_| drawn_after)
            .map(|f| membership::stored_explanation(&f.rules, item, item_tags, self.now));
        let limit = |o: Option<&OutputConfig>| o.map_or(0, |o| o.limit);
        let cause = match change {
            Change::Enters if self.before_output.is_none() => "the output is new".to_string(),
            Change::Enters if !drawn_before => {
                format!("the output now draws on its feed ({})", item.feed_name)
            }
            Change::Enters
                if explanation.is_some()
                    && (self.before_output.is_some_and(|o| o.filter.is_none())
                        || !self.store.is_member(self.name, &item.uid)?) =>
            {
                "the filter now matches it".to_string()
            }
            Change::Enters => format!(
                "it is now among the newest {} items served",
                limit(self.after_output)
            ),
            Change::Leaves if self.after_output.is_none() => {
                "the output is removed from the config".to_string()
            }
            Change::Leaves if !drawn_after => format!(
                "the output no longer draws on its feed ({})",
                item.feed_name
            ),
            Change::Leaves if explanation.as_ref().is_some_and(|e| !e.matched) => {
                "the filter no longer matches it".to_string()
            }
            Change::Leaves => format!("newer items fill the {} served", limit(self.after_output)),
        };
        let mut reasons = vec![cause];
        if let Some(e) = explanation {
            reasons.extend(e.reasons);
        }
        Ok(ItemChange {
            output: self.name.to_string(),
            id: format!("urn:tidings:{}", item.uid),
            link: item.link.clone(),
            title: item.title.clone(),
            change,
            reasons,
        })
    }
}

/// The human form: per output, the counts, then `+` (enters) and `-`
/// (leaves) lines, each with its reasons indented below.
pub fn render_text(previews: &[OutputPreview]) -> String {
    let mut out = String::new();
    for p in previews {
        let enters = p
            .changes
            .iter()
            .filter(|c| c.change == Change::Enters)
            .count();
        let leaves = p.changes.len() - enters;
        out.push_str(&format!(
            "output {}: {enters} enter, {leaves} leave ({} served now, {} after a reload)\n",
            p.output, p.served_now, p.served_after
        ));
        for c in &p.changes {
            let sign = if c.change == Change::Enters { '+' } else { '-' };
            out.push_str(&format!(
                "  {sign} {} <{}>\n",
                c.title,
                c.link.as_deref().unwrap_or(&c.id)
            ));
            for r in &c.reasons {
                out.push_str(&format!("      {r}\n"));
            }
        }
    }
    out
}
