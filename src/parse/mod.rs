//! Feed bytes → [`ParsedFeed`], through feed-rs. feed-rs types stop here.
//!
//! The raw bytes go to feed-rs untouched first (it reads the XML declaration and
//! BOM to decode), always with the feed URL as base so relative links come back
//! absolute. When feed-rs fails, or reads fewer entries than the document holds,
//! [`recover`] repairs the document the way lenient parsers do (encoding
//! detection and transcoding, bare `&` and HTML entities, truncation, old
//! dialects such as Atom 0.3 and RSS 0.90/1.1) and parses again. feed-rs panics on
//! some inputs; those are caught. Work is bounded by size, depth and item caps.

pub mod recover;

use feed_rs::model::{Entry, Feed, Link, Text};

use crate::model::{Enclosure, ParsedEntry, ParsedFeed};

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not a feed, or unreadable even after repairs (the reason says which).
    #[error("not a readable feed: {0}")]
    Invalid(String),
}

/// Parses one document. `base` resolves relative links; `content_type` (the HTTP
/// header) may name the charset; at most `max_items` entries are kept (the first
/// ones, which feeds put newest first), in at most `max_bytes`.
pub fn feed(
    bytes: &[u8],
    base: &url::Url,
    content_type: Option<&str>,
    max_bytes: usize,
    max_items: usize,
) -> Result<ParsedFeed, ParseError> {
    let limits = recover::Limits {
        max_bytes,
        max_depth: 256,
        max_items,
    };
    let (parsed, repairs) = recover::parse(bytes, base, content_type, &limits)
        .map_err(|e| ParseError::Invalid(e.to_string()))?;
    let mut feed = convert(parsed, max_items);
    feed.repairs = repairs;
    // The last entry of a truncated document is cut off somewhere inside: its
    // guid or link may be incomplete, and storing it would create a bogus item
    // that duplicates the real one at the next poll.
    if feed.repairs.contains(&"closed a truncated document") && feed.entries.pop().is_some() {
        feed.repairs
            .push("dropped the entry the truncation cut off");
    }
    Ok(feed)
}

fn convert(feed: Feed, max_items: usize) -> ParsedFeed {
    ParsedFeed {
        title: feed.title.map(|t| t.content.trim().to_string()),
        site_link: alternate(&feed.links),
        ttl_minutes: feed.ttl,
        entries: feed
            .entries
            .into_iter()
            .take(max_items)
            .map(entry)
            .collect(),
        repairs: Vec::new(),
    }
}

fn entry(e: Entry) -> ParsedEntry {
    let guid = Some(e.id.trim().to_string()).filter(|id| !id.is_empty());
    let mut authors: Vec<String> = e
        .authors
        .iter()
        .filter_map(|p| p.name.as_deref().map(str::trim))
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect();
    authors.dedup();
    let mut categories: Vec<String> = Vec::new();
    for c in &e.categories {
        let term = c.label.as_deref().unwrap_or(&c.term).trim();
        if !term.is_empty() && !categories.iter().any(|x| x == term) {
            categories.push(term.to_string());
        }
    }
    let enclosures = enclosures(&e);
    ParsedEntry {
        guid,
        link: alternate(&e.links),
        title: e.title.map(text),
        summary: e.summary.map(text).filter(|s| !s.trim().is_empty()),
        content: e
            .content
            .and_then(|c| c.body)
            .filter(|b| !b.trim().is_empty()),
        authors,
        categories,
        published: e.published,
        updated: e.updated,
        enclosures,
    }
}

/// RSS `enclosure` and MediaRSS arrive in feed-rs as media objects; Atom
/// enclosures as links. At most a handful, de-duplicated by URL.
fn enclosures(e: &Entry) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    let media = e
        .media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter_map(|c| {
            Some(Enclosure {
                url: c.url.as_ref()?.to_string(),
                mime_type: c.content_type.as_ref().map(|t| t.to_string()),
                length: c.size,
            })
        });
    let links = e
        .links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .map(|l| Enclosure {
            url: l.href.clone(),
            mime_type: l.media_type.clone(),
            length: l.length,
        });
    for enc in media.chain(links) {
        let http = enc.url.starts_with("http://") || enc.url.starts_with("https://");
        if http && out.len() < 8 && !out.iter().any(|o| o.url == enc.url) {
            out.push(enc);
        }
    }
    out
}

fn text(t: Text) -> String {
    t.content
}

/// The `rel="alternate"` link (or one without rel), else the first link.
fn alternate(links: &[Link]) -> Option<String> {
    links
        .iter()
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links
                .iter()
                .find(|l| l.rel.as_deref() != Some("enclosure") && l.rel.as_deref() != Some("self"))
        })
        .or_else(|| links.first())
        .map(|l| l.href.trim().to_string())
        .filter(|h| !h.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example/feeds/rss.xml").unwrap()
    }

    #[test]
    fn missing_guids_stay_missing() {
        let xml = br#"<rss version="2.0"><channel><title>T</title>
            <item><title>A</title><link>/a</link></item></channel></rss>"#;
        let f = feed(xml, &base(), None, 1 << 20, 100).unwrap();
        assert_eq!(f.entries[0].guid, None);
        assert_eq!(f.entries[0].link.as_deref(), Some("https://news.example/a"));
    }

    #[test]
    fn utf16be_panic_is_an_error_not_a_crash() {
        // feed-rs 3.0 panics on UTF-16BE input.
        let doc = "<?xml version=\"1.0\" encoding=\"UTF-16BE\"?><rss version=\"2.0\"><channel><title>x</title></channel></rss>";
        let mut bytes = vec![0xFE, 0xFF];
        for unit in doc.encode_utf16() {
            bytes.extend_from_slice(&unit.to_be_bytes());
        }
        let f = feed(&bytes, &base(), None, 1 << 20, 100).unwrap();
        assert_eq!(f.title.as_deref(), Some("x"), "transcoded and read");
    }

    #[test]
    fn garbage_is_an_error() {
        let err = feed(
            b"<html><body>Not found</body></html>",
            &base(),
            None,
            1 << 20,
            10,
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("not a readable feed"), "{err}");
    }

    #[test]
    fn item_cap_keeps_the_first_entries() {
        let mut xml = String::from("<rss version=\"2.0\"><channel><title>T</title>");
        for i in 0..10 {
            xml.push_str(&format!("<item><guid>g{i}</guid></item>"));
        }
        xml.push_str("</channel></rss>");
        let f = feed(xml.as_bytes(), &base(), None, 1 << 20, 3).unwrap();
        let guids: Vec<_> = f.entries.iter().map(|e| e.guid.clone().unwrap()).collect();
        assert_eq!(guids, ["g0", "g1", "g2"]);
    }
}
