//! Feed bytes → [`ParsedFeed`], through feed-rs. feed-rs types stop here.
//!
//! The raw bytes go to feed-rs untouched (it reads the XML declaration and BOM to
//! decode), always with the feed URL as base so relative links come back absolute.
//! feed-rs panics on some inputs (a UTF-16BE document, for one); the panic is caught
//! and becomes this feed's [`ParseError`], never the daemon's end.

use std::panic::{AssertUnwindSafe, catch_unwind};

use feed_rs::model::{Entry, Feed, Link, Text};

use crate::model::{Enclosure, ParsedEntry, ParsedFeed};

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// feed-rs rejected the document.
    #[error("not a readable feed: {0}")]
    Invalid(String),
    /// feed-rs panicked on the document.
    #[error("the feed parser crashed on this document ({0})")]
    Panicked(String),
}

/// Parses one document. `base` resolves relative links; at most `max_items`
/// entries are kept (the first ones, which feeds put newest first).
pub fn feed(bytes: &[u8], base: &url::Url, max_items: usize) -> Result<ParsedFeed, ParseError> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // An empty id means "the document has none": feed-rs would otherwise invent
        // one from the link and title, or a random UUID.
        .id_generator(|_, _, _| String::new())
        .build();
    let result = catch_unwind(AssertUnwindSafe(|| parser.parse(bytes)));
    let parsed = match result {
        Ok(Ok(feed)) => feed,
        Ok(Err(e)) => return Err(ParseError::Invalid(e.to_string())),
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            return Err(ParseError::Panicked(what));
        }
    };
    Ok(convert(parsed, max_items))
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
        let f = feed(xml, &base(), 100).unwrap();
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
        // Whatever feed-rs does with it, we get a value back.
        let _ = feed(&bytes, &base(), 100);
    }

    #[test]
    fn garbage_is_an_error() {
        let err = feed(b"<html><body>Not found</body></html>", &base(), 10).unwrap_err();
        assert!(err.to_string().starts_with("not a readable feed"), "{err}");
    }

    #[test]
    fn item_cap_keeps_the_first_entries() {
        let mut xml = String::from("<rss version=\"2.0\"><channel><title>T</title>");
        for i in 0..10 {
            xml.push_str(&format!("<item><guid>g{i}</guid></item>"));
        }
        xml.push_str("</channel></rss>");
        let f = feed(xml.as_bytes(), &base(), 3).unwrap();
        let guids: Vec<_> = f.entries.iter().map(|e| e.guid.clone().unwrap()).collect();
        assert_eq!(guids, ["g0", "g1", "g2"]);
    }
}
