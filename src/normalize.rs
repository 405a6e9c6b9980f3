//! [`ParsedFeed`] → [`NewItem`]s: our own item key, plain-text titles, bodies
//! prepared once (sanitised HTML plus text, by [`crate::text`]), links we may
//! serve, a content hash.
//!
//! Identity never comes from feed-rs's generated ids (a SipHash of link + title,
//! or a random UUID): the key is the document's guid when it has one, else the
//! link as published, else a hash of the title and content. A guid repeated within
//! one document is disambiguated by link so both items are kept.

use std::collections::{HashMap, HashSet};

use sha2::{Digest, Sha256};

use crate::model::{Body, NewItem, ParsedEntry, ParsedFeed, Person, TextKind};
use crate::text;

/// Turns a parsed document into items with keys unique within the document.
/// `link_schemes` are the schemes besides http(s) whose item links may be served.
pub fn entries(parsed: &ParsedFeed, link_schemes: &[String]) -> Vec<NewItem> {
    changed_entries(parsed, link_schemes, &HashMap::new()).0
}

/// [`entries`], leaving out those already stored as they are: `stored` maps
/// the keys of the feed's stored items to their content hashes. The writer
/// leaves an unchanged item untouched anyway (no write, no membership, no
/// print), so only the others have their bodies prepared, filtered and
/// printed: when a feed gains one item, the other forty-nine cost a hash each.
/// Returns the items and how many were left out.
pub fn changed_entries(
    parsed: &ParsedFeed,
    link_schemes: &[String],
    stored: &HashMap<String, String>,
) -> (Vec<NewItem>, usize) {
    let mut seen: HashSet<String> = HashSet::new();
    let mut unchanged = 0;
    let doc_base = parsed.base.as_deref().and_then(|b| url::Url::parse(b).ok());
    let items = parsed
        .entries
        .iter()
        .filter_map(|entry| {
            // A panic on one entry is a bug, but it must not cost the feed its
            // other entries: log it and leave this one out.
            let panicked = || {
                tracing::error!(
                    guid = entry.guid.as_deref().unwrap_or(""),
                    link = entry.link.as_deref().unwrap_or(""),
                    "preparing this entry panicked (a bug; please report it): it is skipped"
                );
            };
            let head = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                head(entry, doc_base.as_ref(), link_schemes)
            }));
            let Ok((mut item, body_base)) = head else {
                panicked();
                return None;
            };
            let base_key = item.key.clone();
            // Same guid (or link) twice in one document: two stories, keep both.
            // The first keeps the plain key so it stays stable across polls.
            let mut n = 1;
            while !seen.insert(item.key.clone()) {
                n += 1;
                let salt = format!(
                    "{}\n{}\n{n}",
                    item.link.as_deref().unwrap_or(""),
                    item.title
                );
                item.key = format!("{base_key}#{}", &hex_digest(salt.as_bytes())[..16]);
            }
            if stored.get(&item.key) == Some(&item.content_hash) {
                unchanged += 1;
                return None;
            }
            let bodies = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let prepare = |b: &Option<Body>| {
                    b.as_ref()
                        .filter(|b| !b.value.trim().is_empty())
                        .map(|b| text::prepare(b, body_base.as_ref()))
                        .filter(|p| !p.html.trim().is_empty())
                };
                (prepare(&entry.summary), prepare(&entry.content))
            }));
            let Ok((summary, content)) = bodies else {
                panicked();
                return None;
            };
            item.summary = summary;
            item.content = content;
            Some(item)
        })
        .collect();
    (items, unchanged)
}

/// A title as one line of plain text.
pub fn title_text(body: &Body) -> String {
    match body.kind {
        TextKind::Html => text::inline(&body.value),
        TextKind::Text => text::squash(&text::strip_control(&body.value)),
    }
}

/// Authors with names and addresses tidied; those left with neither dropped.
fn people(authors: &[Person], base: Option<&url::Url>) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    for a in authors.iter().take(crate::parse::MAX_AUTHORS) {
        let p = Person {
            name: a
                .name
                .as_deref()
                .map(text::inline_auto)
                .filter(|n| !n.is_empty()),
            email: a
                .email
                .as_deref()
                .map(|e| text::squash(&text::strip_control(e)))
                .filter(|e| e.contains('@')),
            uri: a.uri.as_deref().and_then(|u| text::safe_link(u, base, &[])),
        };
        if (p.name.is_some() || p.email.is_some()) && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

/// What filters and explanations read as "the author": names, else addresses.
pub fn author_line(authors: &[Person]) -> Option<String> {
    Some(
        authors
            .iter()
            .filter_map(Person::display)
            .collect::<Vec<_>>()
            .join(", "),
    )
    .filter(|a| !a.is_empty())
}

/// One entry → item without its bodies (they cost the most to prepare) and
/// without cross-entry disambiguation, and the URL its bodies' relative links
/// resolve against.
fn head(
    entry: &ParsedEntry,
    doc_base: Option<&url::Url>,
    link_schemes: &[String],
) -> (NewItem, Option<url::Url>) {
    let title = entry.title.as_ref().map(title_text).unwrap_or_default();
    let entry_base = entry.base.as_deref().and_then(|b| url::Url::parse(b).ok());
    let link_base = entry_base.as_ref().or(doc_base);
    let link = entry
        .link
        .as_deref()
        .and_then(|l| text::safe_link(l, link_base, link_schemes));
    let canonical_link = link.as_deref().and_then(canonical_url);
    // Relative URLs in a body resolve against its xml:base, else the article
    // it belongs to, else the document.
    let body_base = entry_base
        .clone()
        .or_else(|| link.as_deref().and_then(|l| url::Url::parse(l).ok()))
        .or_else(|| doc_base.cloned());
    let authors = people(&entry.authors, link_base);
    let author = author_line(&authors);
    fn raw(b: &Option<Body>) -> Option<std::borrow::Cow<'_, str>> {
        b.as_ref()
            .map(|b| text::strip_control(&b.value))
            .filter(|s| !s.trim().is_empty())
    }
    let (raw_summary, raw_content) = (raw(&entry.summary), raw(&entry.content));
    let key = item_key(
        entry.guid.as_deref(),
        entry.link.as_deref(),
        &title,
        raw_summary.as_deref(),
        raw_content.as_deref(),
    );
    let mut categories: Vec<String> = Vec::new();
    for c in entry.categories.iter().take(crate::parse::MAX_CATEGORIES) {
        let c = text::inline_auto(c);
        if !c.is_empty() && !categories.contains(&c) {
            categories.push(c);
        }
    }
    let enclosures: Vec<_> = entry
        .enclosures
        .iter()
        .filter_map(|e| {
            Some(crate::model::Enclosure {
                url: text::safe_link(&e.url, link_base, &[])?,
                ..e.clone()
            })
        })
        .collect();
    // The parts joined by U+001E, hashed as they come (the same digest as
    // hashing the joined string, which stored hashes were made of).
    let published = entry.published.map(|d| d.to_rfc3339()).unwrap_or_default();
    let enclosure_urls = enclosures
        .iter()
        .map(|e| e.url.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    let parts = [
        title.as_str(),
        entry.link.as_deref().unwrap_or(""),
        raw_summary.as_deref().unwrap_or(""),
        raw_content.as_deref().unwrap_or(""),
        author.as_deref().unwrap_or(""),
        &categories.join("\u{1f}"),
        &published,
        &enclosure_urls,
    ];
    let mut hasher = Sha256::new();
    for (i, part) in parts.iter().enumerate() {
        if i > 0 {
            hasher.update("\u{1e}".as_bytes());
        }
        hasher.update(part.as_bytes());
    }
    let content_hash = hex(&hasher.finalize());
    let item = NewItem {
        key,
        guid: entry.guid.clone(),
        link,
        canonical_link,
        title,
        summary: None,
        content: None,
        authors,
        author,
        categories,
        published: entry.published.or(entry.updated),
        updated: entry.updated,
        enclosures,
        content_hash,
        print: None,
    };
    (item, body_base)
}

/// Query parameters that only say where a click came from.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "rb_clickid",
    "s_cid",
    "cmpid",
    "ocid",
    "ncid",
    "sr_share",
    "ito",
];

/// The link without tracking parameters (`utm_*` and the ids in
/// `TRACKING_PARAMS`), without fragment; `None` for a link that is not http(s).
pub fn canonical_url(link: &str) -> Option<String> {
    let mut url = url::Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url.to_string())
}

/// The key under which two links count as the same story: the canonical URL
/// without its scheme and a leading `www.`.
pub fn story_key(canonical: &str) -> String {
    let rest = canonical.split_once("://").map_or(canonical, |(_, r)| r);
    rest.strip_prefix("www.")
        .unwrap_or(rest)
        .trim_end_matches('/')
        .to_string()
}

/// Our identity key for an entry: the guid if present, else the link, else a hash
/// of what the entry says.
pub fn item_key(
    guid: Option<&str>,
    link: Option<&str>,
    title: &str,
    summary: Option<&str>,
    content: Option<&str>,
) -> String {
    if let Some(g) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("guid:{g}");
    }
    if let Some(l) = link.map(str::trim).filter(|l| !l.is_empty()) {
        return format!("link:{l}");
    }
    let body = format!(
        "{title}\n{}\n{}",
        summary.unwrap_or(""),
        content.unwrap_or("")
    );
    format!("hash:{}", hex_digest(body.as_bytes()))
}

/// The public id of an item: stable across restarts and database rebuilds, and the
/// same in every output.
pub fn public_id(feed_url: &str, key: &str) -> String {
    hex_digest(format!("{feed_url}\n{key}").as_bytes())[..32].to_string()
}

/// Lower-case hex SHA-256.
pub fn hex_digest(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(guid: Option<&str>, link: Option<&str>, title: &str) -> ParsedEntry {
        ParsedEntry {
            guid: guid.map(str::to_string),
            link: link.map(str::to_string),
            title: Some(Body::text(title)),
            ..Default::default()
        }
    }

    /// One entry through [`entries`].
    fn item(e: &ParsedEntry, base: Option<&url::Url>, schemes: &[String]) -> NewItem {
        let parsed = ParsedFeed {
            entries: vec![e.clone()],
            base: base.map(url::Url::to_string),
            ..Default::default()
        };
        entries(&parsed, schemes).remove(0)
    }

    #[test]
    fn stored_unchanged_entries_are_left_out_unprepared() {
        let mut with_body = entry(Some("b"), Some("https://n.example/b"), "B");
        with_body.content = Some(Body::html("<p>Body <b>text</b></p>"));
        let mut parsed = ParsedFeed {
            entries: vec![
                entry(Some("a"), Some("https://n.example/a"), "A"),
                with_body,
                entry(Some("c"), Some("https://n.example/c"), "C"),
            ],
            ..Default::default()
        };
        let all = entries(&parsed, &[]);
        let stored: HashMap<String, String> = all
            .iter()
            .map(|i| (i.key.clone(), i.content_hash.clone()))
            .collect();
        let (items, unchanged) = changed_entries(&parsed, &[], &stored);
        assert!(items.is_empty());
        assert_eq!(unchanged, 3);
        // An edit and a new entry are prepared as usual; the rest are left out.
        parsed.entries[1].content = Some(Body::html("<p>Body <i>edited</i></p>"));
        parsed
            .entries
            .push(entry(Some("d"), Some("https://n.example/d"), "D"));
        let (items, unchanged) = changed_entries(&parsed, &[], &stored);
        assert_eq!(unchanged, 2);
        let keys: Vec<&str> = items.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(keys, ["guid:b", "guid:d"]);
        assert_eq!(items[0].content.as_ref().unwrap().text, "Body edited");
        let all = entries(&parsed, &[]);
        assert_eq!(items, [all[1].clone(), all[3].clone()]);
    }

    #[test]
    fn content_hash_is_the_digest_of_the_joined_parts() {
        // Stored hashes were made by hashing the parts joined with U+001E: the
        // incremental hash must give the same digest, or every stored item
        // would read as changed after an upgrade.
        let mut e = entry(Some("g"), Some("https://n.example/1"), "Title");
        e.summary = Some(Body::html("<p>S</p>"));
        e.categories = vec!["x".into(), "y".into()];
        let i = item(&e, None, &[]);
        let joined = [
            "Title",
            "https://n.example/1",
            "<p>S</p>",
            "",
            "",
            "x\u{1f}y",
            "",
            "",
        ]
        .join("\u{1e}");
        assert_eq!(i.content_hash, hex_digest(joined.as_bytes()));
    }

    #[test]
    fn key_prefers_guid_then_link_then_hash() {
        assert_eq!(
            item_key(Some("g1"), Some("https://a/"), "t", None, None),
            "guid:g1"
        );
        assert_eq!(
            item_key(Some("  "), Some("https://a/"), "t", None, None),
            "link:https://a/"
        );
        let h = item_key(None, None, "t", Some("s"), None);
        assert!(h.starts_with("hash:") && h.len() == 5 + 64);
        assert_eq!(
            h,
            item_key(None, None, "t", Some("s"), None),
            "deterministic"
        );
        assert_ne!(h, item_key(None, None, "t2", Some("s"), None));
    }

    #[test]
    fn retitled_item_keeps_its_key_but_changes_hash() {
        let a = item(
            &entry(None, Some("https://n.example/1"), "First title"),
            None,
            &[],
        );
        let b = item(
            &entry(None, Some("https://n.example/1"), "Corrected title"),
            None,
            &[],
        );
        assert_eq!(a.key, b.key);
        assert_ne!(a.content_hash, b.content_hash);
    }

    #[test]
    fn repeated_guid_in_one_document_keeps_both() {
        let parsed = ParsedFeed {
            entries: vec![
                entry(Some("same"), Some("https://n.example/a"), "A"),
                entry(Some("same"), Some("https://n.example/b"), "B"),
                entry(Some("same"), Some("https://n.example/b"), "B"),
            ],
            ..Default::default()
        };
        let items = entries(&parsed, &[]);
        assert_eq!(items[0].key, "guid:same");
        assert!(items[1].key.starts_with("guid:same#"));
        let keys: HashSet<_> = items.iter().map(|i| &i.key).collect();
        assert_eq!(keys.len(), 3);
        // Stable: the same document gives the same keys again.
        let again: Vec<_> = entries(&parsed, &[]).into_iter().map(|i| i.key).collect();
        assert_eq!(
            again,
            items.iter().map(|i| i.key.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn titles_are_plain_text() {
        assert_eq!(
            title_text(&Body::html("  AT&amp;T <b>wins</b>\n again ")),
            "AT&T wins again"
        );
        assert_eq!(title_text(&Body::text("a\u{0}b\u{c}c")), "abc");
        assert_eq!(
            title_text(&Body::html("Seoul&nbsp;talks &#8212; &#x4E2D;")),
            "Seoul talks — 中"
        );
        assert_eq!(title_text(&Body::html("1 < 2 & 3")), "1 < 2 & 3");
        assert_eq!(title_text(&Body::html("&bogus; &")), "&bogus; &");
        // A plain-text title keeps what looks like markup.
        assert_eq!(
            title_text(&Body::text("Use <div> & <b>")),
            "Use <div> & <b>"
        );
    }

    // Regression: item links were republished whatever their scheme.
    #[test]
    fn unsafe_links_are_not_served() {
        for bad in ["javascript:alert(1)", "data:text/html,x", "vbscript:x"] {
            let i = item(&entry(None, Some(bad), "t"), None, &[]);
            assert_eq!(i.link, None, "{bad}");
            assert_eq!(i.key, format!("link:{bad}"), "identity unchanged");
        }
    }

    #[test]
    fn canonical_urls_drop_tracking_only() {
        assert_eq!(
            canonical_url(
                "https://News.example/a?id=7&utm_source=rss&utm_medium=feed&fbclid=XYZ#comments"
            )
            .as_deref(),
            Some("https://news.example/a?id=7")
        );
        assert_eq!(
            canonical_url("https://n.example/a?utm_campaign=x").as_deref(),
            Some("https://n.example/a")
        );
        assert_eq!(canonical_url("mailto:x@y").as_deref(), None);
        assert_eq!(
            story_key(&canonical_url("http://www.n.example/a/").unwrap()),
            story_key(&canonical_url("https://n.example/a?gclid=1").unwrap())
        );
    }

    #[test]
    fn public_id_is_stable_and_distinct_per_feed() {
        let a = public_id("https://a.example/rss", "guid:1");
        assert_eq!(a, public_id("https://a.example/rss", "guid:1"));
        assert_ne!(a, public_id("https://b.example/rss", "guid:1"));
        assert_eq!(a.len(), 32);
    }
}
