//! `/feeds/<name>.html`: an output as a page a person reads in a browser, and
//! tunes its rule by. Each item with its title (linked to the article), source,
//! date and a few lines of text; for a filtered output, the terms that put each
//! item in and, below, the recent near misses of its feeds: items that failed
//! one clause of the rule, with that clause. Plain server-rendered HTML with a
//! little CSS, no script. A private output's page needs its token, like its
//! feeds. A built page is kept until the output's items change, like the
//! feeds' renders, or for a minute at most (rules are evaluated at a time),
//! so a client repeating requests costs no database work in between.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;

use super::page::esc;
use super::{AppState, OutputSpec, not_found, same_secret, served_items};
use crate::config::Config;
use crate::membership;
use crate::model::StoredItem;
use crate::store::{self, StoreError};

/// Recent items of the output's feeds searched for near misses.
const NEAR_WINDOW: usize = 200;
/// Near misses shown, newest first.
const NEAR_SHOWN: usize = 20;
/// Characters of text shown per item.
const SNIPPET: usize = 280;

/// Built pages by output and token placement (both from the config), with
/// what they were built from.
#[derive(Default)]
pub(super) struct Pages(std::sync::Mutex<HashMap<(String, bool), Arc<Built>>>);

/// How long a built page is served at most.
const PAGE_FRESH: std::time::Duration = std::time::Duration::from_secs(60);

pub(super) struct Built {
    built: std::time::Instant,
    generation: u64,
    changes: u64,
    version: u64,
    html: Arc<str>,
}

impl Pages {
    /// The page built for `key` if nothing it shows changed since.
    fn get(
        &self,
        key: &(String, bool),
        generation: u64,
        changes: u64,
        version: impl FnOnce() -> u64,
    ) -> Option<Arc<str>> {
        let hit = self
            .0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()?;
        (hit.built.elapsed() < PAGE_FRESH
            && hit.generation == generation
            && (hit.changes == changes || hit.version == version()))
        .then(|| hit.html.clone())
    }

    fn put(&self, key: (String, bool), built: Built) {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key, Arc::new(built));
    }
}

/// One item as the page shows it.
struct Entry {
    item: StoredItem,
    /// Served items: the terms that put it in. Near misses: the failed clause.
    why: Vec<String>,
}

pub(super) async fn output_page(
    State(state): State<Arc<AppState>>,
    name: &str,
    token: Option<&str>,
    token_in_path: bool,
) -> Response {
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
    let key = (spec.name.clone(), token_in_path);
    let changes = state.store.changes();
    let version = || state.store.version_of(&spec.name, &spec.feed_urls);
    if let Some(html) = state.pages.get(&key, view.generation, changes, version) {
        return page_response(&spec, html.to_string());
    }
    let version = version();
    let (store, config) = (state.store.clone(), view.config.clone());
    let spec_for_read = spec.clone();
    let read = store::blocking(move || entries(&store, &config, &spec_for_read)).await;
    let (served, near) = match read {
        Ok(r) => r,
        Err(e) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("cannot read the database: {e}\n"),
            )
                .into_response();
        }
    };
    let suffix = |ext: &str| match (&spec.token, token_in_path) {
        (Some(t), true) => format!("/feeds/{t}/{}.{ext}", spec.name),
        (Some(t), false) => format!("/feeds/{}.{ext}?token={t}", spec.name),
        (None, _) => format!("/feeds/{}.{ext}", spec.name),
    };
    let rule = view
        .config
        .outputs
        .iter()
        .find(|o| o.name == spec.name)
        .and_then(|o| o.filter.as_ref())
        .map(|r| r.source().trim().to_string());
    let html = render_page(&spec, rule.as_deref(), &served, near.as_deref(), &suffix);
    state.pages.put(
        key,
        Built {
            built: std::time::Instant::now(),
            generation: view.generation,
            changes,
            version,
            html: html.as_str().into(),
        },
    );
    page_response(&spec, html)
}

fn page_response(spec: &OutputSpec, html: String) -> Response {
    let mut response = Html(html).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if spec.token.is_some() {
            "private, no-store"
        } else {
            "no-cache"
        }),
    );
    response
}

/// The served items (as the feeds serve them) and, for a filtered output,
/// its near misses.
fn entries(
    store: &store::Store,
    config: &Config,
    spec: &OutputSpec,
) -> Result<(Vec<Entry>, Option<Vec<Entry>>), StoreError> {
    let items = served_items(
        store,
        &spec.name,
        spec.filtered,
        spec.feed_urls.len(),
        spec.limit,
        spec.stories.as_deref(),
    )?;
    let rules = config
        .outputs
        .iter()
        .find(|o| o.name == spec.name)
        .and_then(|o| o.filter.clone());
    let Some(rules) = rules.filter(|_| spec.filtered) else {
        let served = items
            .into_iter()
            .map(|item| Entry {
                item,
                why: Vec::new(),
            })
            .collect();
        return Ok((served, None));
    };
    let tags: HashMap<&str, &[String]> = config
        .feeds
        .iter()
        .map(|f| (f.url.as_str(), f.tags.as_slice()))
        .collect();
    let now = Utc::now();
    let explain = |item: &StoredItem| {
        let item_tags = tags.get(item.feed_url.as_str()).copied().unwrap_or(&[]);
        membership::stored_explanation(&rules, item, item_tags, now)
    };
    let in_output: HashSet<String> = items.iter().map(|i| i.uid.clone()).collect();
    let served = items
        .into_iter()
        .map(|item| {
            let why = explain(&item).matched_terms;
            Entry { item, why }
        })
        .collect();
    let feeds: Vec<String> = spec.feed_urls.to_vec();
    let mut near = Vec::new();
    for item in store.newest_items_of(&feeds, NEAR_WINDOW)? {
        if in_output.contains(&item.uid) {
            continue;
        }
        let e = explain(&item);
        if !e.matched && e.failed_clauses.len() == 1 {
            near.push(Entry {
                item,
                why: e.failed_clauses,
            });
            if near.len() == NEAR_SHOWN {
                break;
            }
        }
    }
    Ok((served, Some(near)))
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:48em;margin:2em auto;padding:0 1em;line-height:1.45;color:#222}\
a{color:#1a5fb4}ol{padding-left:1.4em}li{margin:0 0 1.2em}.title{font-weight:600;font-size:1.05em}\
.meta{color:#666;font-size:.9em}.text{margin:.3em 0}.why{font-size:.9em;color:#2d6a2d;margin:.2em 0}\
.failed{font-size:.9em;color:#a33;margin:.2em 0;font-family:ui-monospace,monospace;white-space:pre-wrap}\
code{background:#f3f3f3;padding:.1em .3em;white-space:pre-wrap}h2{margin-top:2em;border-top:1px solid #ddd;padding-top:1em}";

fn render_page(
    spec: &OutputSpec,
    rule: Option<&str>,
    served: &[Entry],
    near: Option<&[Entry]>,
    link: &dyn Fn(&str) -> String,
) -> String {
    let mut h = String::with_capacity(4096 + served.len() * 600);
    let _ = write!(
        h,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{robots}\
         <title>{title} — tidings</title><style>{STYLE}</style></head><body>\
         <p class=\"meta\"><a href=\"/\">tidings</a></p><h1>{title}</h1>",
        robots = if spec.token.is_some() {
            "<meta name=\"robots\" content=\"noindex\">"
        } else {
            ""
        },
        title = esc(&spec.title),
    );
    if !spec.description.is_empty() {
        let _ = write!(h, "<p>{}</p>", esc(&spec.description));
    }
    let _ = write!(
        h,
        "<p class=\"meta\">{n} items, the newest {limit} from {feeds} feeds. Subscribe: \
         <a href=\"{rss}\">RSS</a> · <a href=\"{atom}\">Atom</a> · <a href=\"{json}\">JSON Feed</a></p>",
        n = served.len(),
        limit = spec.limit,
        feeds = spec.feed_urls.len(),
        rss = esc(&link("xml")),
        atom = esc(&link("atom")),
        json = esc(&link("json")),
    );
    if let Some(rule) = rule {
        let _ = write!(
            h,
            "<p class=\"meta\">Filter: <code>{}</code></p>",
            esc(rule)
        );
    }
    h.push_str("<ol class=\"items\">");
    for e in served {
        entry(&mut h, e, "item", "why", "In for");
    }
    h.push_str("</ol>");
    if let Some(near) = near {
        h.push_str(
            "<h2 id=\"near-misses\">Near misses</h2><p class=\"meta\">Recent items of its feeds \
             that failed just one clause of the filter, and that clause.</p>",
        );
        if near.is_empty() {
            h.push_str("<p>None among the recent items.</p>");
        }
        h.push_str("<ol class=\"near\">");
        for e in near {
            entry(&mut h, e, "near-miss", "failed", "");
        }
        h.push_str("</ol>");
    }
    h.push_str("</body></html>\n");
    h
}

fn entry(h: &mut String, e: &Entry, class: &str, why_class: &str, why_label: &str) {
    let item = &e.item;
    let title = if item.title.trim().is_empty() {
        "(untitled)"
    } else {
        item.title.as_str()
    };
    let _ = write!(h, "<li class=\"{class}\">");
    // Links come from third parties: only http(s) becomes a link.
    match item
        .link
        .as_deref()
        .filter(|l| l.starts_with("https://") || l.starts_with("http://"))
    {
        Some(link) => {
            let _ = write!(
                h,
                "<a class=\"title\" href=\"{}\">{}</a>",
                esc(link),
                esc(title)
            );
        }
        None => {
            let _ = write!(h, "<span class=\"title\">{}</span>", esc(title));
        }
    }
    let _ = write!(
        h,
        "<div class=\"meta\"><span class=\"source\">{}</span> · <time datetime=\"{}\">{}</time></div>",
        esc(&item.feed_name),
        item.date.to_rfc3339(),
        item.date.format("%Y-%m-%d %H:%M UTC"),
    );
    let text = snippet(item);
    if !text.is_empty() {
        let _ = write!(h, "<p class=\"text\">{}</p>", esc(&text));
    }
    if !e.why.is_empty() {
        let label = if why_label.is_empty() {
            String::new()
        } else {
            format!("{why_label}: ")
        };
        let _ = write!(
            h,
            "<p class=\"{why_class}\">{label}{}</p>",
            esc(&e.why.join(", "))
        );
    }
    h.push_str("</li>");
}

/// The first few lines of the item's text (kept since it was stored), cut at
/// a word.
fn snippet(item: &StoredItem) -> String {
    let text = item
        .summary
        .as_ref()
        .map(|s| s.text.as_str())
        .filter(|s| !s.trim().is_empty())
        .or(item.content.as_ref().map(|c| c.text.as_str()))
        .unwrap_or("");
    cut(text)
}

/// Whole words of `text` up to [`SNIPPET`] characters (single spaces), with
/// `…` when some were left out. Reads no further than it keeps.
fn cut(text: &str) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        let n = word.chars().count();
        let space = usize::from(!out.is_empty());
        if chars + space + n > SNIPPET {
            if out.is_empty() {
                // One word longer than the snippet: cut inside it.
                out.extend(word.chars().take(SNIPPET));
            }
            out.push('…');
            return out;
        }
        if space == 1 {
            out.push(' ');
        }
        out.push_str(word);
        chars += space + n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_built_page_is_kept_while_nothing_it_shows_changed() {
        let pages = Pages::default();
        let key = ("out".to_string(), false);
        let built = |built| Built {
            built,
            generation: 1,
            changes: 10,
            version: 5,
            html: "page".into(),
        };
        pages.put(key.clone(), built(std::time::Instant::now()));
        assert!(pages.get(&key, 1, 10, || unreachable!()).is_some());
        // Other outputs' writes: the output's own version decides.
        assert!(pages.get(&key, 1, 11, || 5).is_some());
        assert!(pages.get(&key, 1, 11, || 6).is_none());
        // A reload, or a minute gone by, builds it again.
        assert!(pages.get(&key, 2, 10, || 5).is_none());
        if let Some(old) = std::time::Instant::now().checked_sub(PAGE_FRESH) {
            pages.put(key.clone(), built(old));
            assert!(pages.get(&key, 1, 10, || 5).is_none());
        }
    }

    #[test]
    fn snippets_stop_at_a_word_within_the_length() {
        let s = cut(&format!("{} tail", "word ".repeat(100)));
        assert!(s.ends_with('…') && s.chars().count() <= SNIPPET + 1, "{s}");
        assert!(s.trim_end_matches('…').split(' ').all(|w| w == "word"));
        assert_eq!(cut("short  text\n"), "short text");
        assert_eq!(cut(&"x".repeat(500)).chars().count(), SNIPPET + 1);
    }
}
