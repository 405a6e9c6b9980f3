//! Feed bytes → [`ParsedFeed`], through feed-rs. feed-rs types stop here.
//!
//! The raw bytes go to feed-rs untouched first (it reads the XML declaration and
//! BOM to decode), always with the feed URL as base so relative links come back
//! absolute. When feed-rs fails, or reads fewer entries than the document holds,
//! [`recover`] repairs the document the way lenient parsers do (encoding
//! detection and transcoding, bare `&` and HTML entities, truncation, old
//! dialects such as Atom 0.3 and RSS 0.90/1.1) and parses again. feed-rs panics on
//! some inputs; those are caught. Work is bounded by size, depth and item caps.

mod capture;
mod dates;
mod fields;
mod json;
pub mod recover;

use feed_rs::model::{Entry, Feed, FeedType, Link, Text};

use crate::model::{Body, Enclosure, ParsedEntry, ParsedFeed, Person, TextKind};

/// Enclosures kept per entry, at most.
pub const MAX_ENCLOSURES: usize = 8;

/// Authors kept per entry (and per feed), at most: distinct ones, in order.
/// Each list is searched for duplicates as it grows, so the caps also keep
/// that work linear in the document.
pub const MAX_AUTHORS: usize = 32;

/// Categories kept per entry, at most.
pub const MAX_CATEGORIES: usize = 64;

/// Why a document could not be read as a feed.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Not a feed, or unreadable even after repairs (the reason says which).
    #[error("not a readable feed: {0}")]
    Invalid(String),
}

/// Parses one document. `base` resolves relative links (the document's URL, or
/// its `Content-Location`); `content_type` (the HTTP header) may name the
/// charset; at most `max_items` entries are kept (the first ones, which feeds
/// put newest first), in at most `max_bytes`.
pub fn feed(
    bytes: &[u8],
    base: &url::Url,
    content_type: Option<&str>,
    max_bytes: usize,
    max_items: usize,
) -> Result<ParsedFeed, ParseError> {
    if bytes.len() > max_bytes {
        return Err(ParseError::Invalid(
            "document larger than the size limit".into(),
        ));
    }
    if is_json(bytes) {
        let mut feed = json::parse(bytes, base, max_items)?;
        feed.base = Some(base.to_string());
        return Ok(feed);
    }
    let limits = recover::Limits {
        max_bytes,
        max_depth: 256,
        max_items,
    };
    let recovered = recover::parse(bytes, base, content_type, &limits)
        .map_err(|e| ParseError::Invalid(e.to_string()))?;
    let recover::Recovered {
        feed: read,
        repairs,
        repaired,
    } = recovered;
    let kind = read.feed_type.clone();
    let mut feed = convert(read, max_items);
    feed.repairs = repairs;
    feed.base = Some(base.to_string());
    // What feed-rs flattened or dropped, from the document as written (the
    // repair pass rewrites what feed-rs rejects, such as unusual content types,
    // so the original is read first), else from the repaired document.
    let original = recover::document_text(bytes, content_type);
    let mut captured = capture::capture(&original, feed.entries.len());
    let mut doc: &str = &original;
    if captured.entries.len() != feed.entries.len()
        && let Some(repaired) = repaired.as_deref()
    {
        captured = capture::capture(repaired, feed.entries.len());
        doc = repaired;
    }
    if captured.entries.len() == feed.entries.len() {
        for (entry, c) in feed.entries.iter_mut().zip(&captured.entries) {
            fields::apply(entry, c, doc);
        }
    } else {
        tracing::debug!(
            feed_rs = feed.entries.len(),
            captured = captured.entries.len(),
            "entries do not line up; using feed-rs's reading alone"
        );
    }
    // An Atom entry without an author has the feed's (RFC 4287 §4.2.1).
    if matches!(kind, FeedType::Atom) && !feed.authors.is_empty() {
        feed.authors.truncate(MAX_AUTHORS);
        for entry in &mut feed.entries {
            if entry.authors.is_empty() {
                entry.authors = feed.authors.clone();
            }
        }
    }
    // The last entry of a truncated document is cut off somewhere inside: its
    // guid or link may be incomplete, and storing it would create a bogus item
    // that duplicates the real one at the next poll.
    if feed.repairs.contains(&"closed a truncated document") && feed.entries.pop().is_some() {
        feed.repairs
            .push("dropped the entry the truncation cut off");
    }
    Ok(feed)
}

/// A JSON document (JSON Feed), after an optional byte-order mark.
fn is_json(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

fn convert(feed: Feed, max_items: usize) -> ParsedFeed {
    ParsedFeed {
        title: feed.title.map(|t| t.content.trim().to_string()),
        site_link: alternate(&feed.links),
        ttl_minutes: feed.ttl,
        authors: people(&feed.authors),
        entries: feed
            .entries
            .into_iter()
            .take(max_items)
            .map(entry)
            .collect(),
        repairs: Vec::new(),
        base: None,
    }
}

fn people(persons: &[feed_rs::model::Person]) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    for p in persons {
        if out.len() == MAX_AUTHORS {
            break;
        }
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let person = Person {
            name: clean(&p.name),
            email: clean(&p.email),
            uri: clean(&p.uri),
        };
        if (person.name.is_some() || person.email.is_some()) && !out.contains(&person) {
            out.push(person);
        }
    }
    out
}

/// A feed-rs text as a body: plain text when its type says so, else HTML.
fn body(t: Text) -> Body {
    let kind = if t.content_type.essence().to_string() == "text/plain" {
        TextKind::Text
    } else {
        TextKind::Html
    };
    Body {
        value: t.content.trim().to_string(),
        kind,
    }
}

fn entry(e: Entry) -> ParsedEntry {
    let guid = Some(e.id.trim().to_string()).filter(|id| !id.is_empty());
    let mut categories: Vec<String> = Vec::new();
    for c in &e.categories {
        if categories.len() == MAX_CATEGORIES {
            break;
        }
        let term = Some(c.term.trim())
            .filter(|t| !t.is_empty())
            .or(c.label.as_deref().map(str::trim))
            .unwrap_or("");
        if !term.is_empty() && !categories.iter().any(|x| x == term) {
            categories.push(term.to_string());
        }
    }
    let enclosures = enclosures(&e);
    let content = e.content.and_then(|c| {
        let kind = if c.content_type.essence().to_string() == "text/plain" {
            TextKind::Text
        } else {
            TextKind::Html
        };
        c.body.map(|value| Body {
            value: value.trim().to_string(),
            kind,
        })
    });
    ParsedEntry {
        guid,
        link: alternate(&e.links),
        title: e.title.map(body).filter(|b| !b.value.is_empty()),
        summary: e.summary.map(body).filter(|b| !b.value.is_empty()),
        content: content.filter(|b| !b.value.is_empty()),
        authors: people(&e.authors),
        categories,
        published: e.published,
        updated: e.updated,
        enclosures,
        base: None,
    }
}

/// RSS `enclosure` and MediaRSS arrive in feed-rs as media objects; Atom
/// enclosures as links. At most [`MAX_ENCLOSURES`], de-duplicated by URL.
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
        .filter(|l| l.rel.as_deref() == Some("enclosure") && !l.href.trim().is_empty())
        .map(|l| Enclosure {
            url: l.href.clone(),
            mime_type: l.media_type.clone(),
            length: l.length,
        });
    for enc in media.chain(links) {
        let http = enc.url.starts_with("http://") || enc.url.starts_with("https://");
        if http && out.len() < MAX_ENCLOSURES && !out.iter().any(|o| o.url == enc.url) {
            out.push(enc);
        }
    }
    out
}

/// The `rel="alternate"` link (or one without rel), else the first link.
fn alternate(links: &[Link]) -> Option<String> {
    let usable = |l: &&Link| !l.href.trim().is_empty();
    links
        .iter()
        .filter(usable)
        .find(|l| matches!(l.rel.as_deref(), None | Some("alternate")))
        .or_else(|| {
            links
                .iter()
                .filter(usable)
                .find(|l| l.rel.as_deref() != Some("enclosure") && l.rel.as_deref() != Some("self"))
        })
        .or_else(|| links.iter().find(usable))
        .map(|l| l.href.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://news.example/feeds/rss.xml").unwrap()
    }

    #[test]
    fn authors_and_categories_are_capped_per_entry() {
        // Many feed-level authors (given to every entry without one) and many
        // categories: kept to the caps, in document order, in every format.
        let authors: String = (0..200)
            .map(|i| format!("<author><name>A{i}</name></author>"))
            .collect();
        let cats: String = (0..500)
            .map(|i| format!(r#"<category term="c{i}"/>"#))
            .collect();
        let atom = format!(
            r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{authors}
            <entry><id>1</id><title>x</title>{cats}</entry><entry><id>2</id><title>y</title></entry></feed>"#
        );
        let f = feed(atom.as_bytes(), &base(), None, 1 << 20, 100).unwrap();
        for e in &f.entries {
            assert_eq!(e.authors.len(), MAX_AUTHORS);
            assert_eq!(e.authors[0].name.as_deref(), Some("A0"));
        }
        assert_eq!(f.entries[0].categories.len(), MAX_CATEGORIES);
        let tags: Vec<String> = (0..500).map(|i| format!("\"t{i}\"")).collect();
        let people: Vec<String> = (0..200).map(|i| format!(r#"{{"name":"P{i}"}}"#)).collect();
        let json = format!(
            r#"{{"version":"https://jsonfeed.org/version/1.1","title":"T","authors":[{}],
            "items":[{{"id":"1","content_text":"x","tags":[{}]}}]}}"#,
            people.join(","),
            tags.join(",")
        );
        let f = feed(json.as_bytes(), &base(), None, 1 << 20, 100).unwrap();
        assert_eq!(f.entries[0].authors.len(), MAX_AUTHORS);
        assert_eq!(f.entries[0].categories.len(), MAX_CATEGORIES);
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
