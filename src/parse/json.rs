//! JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read directly with
//! serde: feed-rs turns `attachments` into plain links (so they were lost, or
//! taken for the item's link), keeps no kind for `content_text` and drops
//! authors' URLs. Unknown fields and extensions (`_…`) are ignored.

use serde::Deserialize;
use serde_json::Value;

use super::{MAX_AUTHORS, MAX_CATEGORIES, MAX_ENCLOSURES, ParseError, dates};
use crate::model::{Body, Enclosure, ParsedEntry, ParsedFeed, Person};

#[derive(Deserialize)]
struct Feed {
    version: Option<String>,
    title: Option<String>,
    home_page_url: Option<String>,
    #[serde(default)]
    items: Vec<Value>,
    author: Option<Value>,
    #[serde(default)]
    authors: Vec<Value>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Item {
    id: Option<Value>,
    url: Option<String>,
    external_url: Option<String>,
    title: Option<String>,
    content_html: Option<String>,
    content_text: Option<String>,
    summary: Option<String>,
    date_published: Option<String>,
    date_modified: Option<String>,
    author: Option<Value>,
    authors: Vec<Value>,
    tags: Vec<Value>,
    attachments: Vec<Value>,
}

/// A JSON Feed document. `base` resolves relative URLs; at most `max_items`
/// items are read (each independently: one malformed item does not lose the rest).
pub fn parse(text: &[u8], base: &url::Url, max_items: usize) -> Result<ParsedFeed, ParseError> {
    let feed: Feed =
        serde_json::from_slice(text).map_err(|e| ParseError::Invalid(format!("JSON Feed: {e}")))?;
    if !feed
        .version
        .as_deref()
        .is_some_and(|v| v.contains("jsonfeed.org/version/"))
    {
        return Err(ParseError::Invalid(
            "JSON document without a JSON Feed version".into(),
        ));
    }
    let feed_authors = people(feed.author.as_ref(), &feed.authors, base);
    let entries = feed
        .items
        .into_iter()
        .take(max_items)
        .filter_map(|v| serde_json::from_value::<Item>(v).ok())
        .map(|item| entry(item, base, &feed_authors))
        .collect();
    Ok(ParsedFeed {
        title: feed.title.map(|t| t.trim().to_string()),
        site_link: feed.home_page_url.and_then(|u| resolve(&u, base)),
        ttl_minutes: None,
        authors: feed_authors,
        entries,
        repairs: Vec::new(),
        base: None,
    })
}

fn resolve(u: &str, base: &url::Url) -> Option<String> {
    let u = u.trim();
    if u.is_empty() {
        return None;
    }
    match url::Url::parse(u) {
        Ok(_) => Some(u.to_string()),
        Err(_) => base.join(u).ok().map(String::from),
    }
}

fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// `author` (1.0) and `authors` (1.1): name and URL; a `mailto:` URL is an e-mail.
fn people(one: Option<&Value>, many: &[Value], base: &url::Url) -> Vec<Person> {
    let mut out: Vec<Person> = Vec::new();
    for v in one.into_iter().chain(many) {
        if out.len() == MAX_AUTHORS {
            break;
        }
        let name = v.get("name").and_then(string);
        let url = v.get("url").and_then(string);
        let (email, uri) = match url {
            Some(u) if u.to_ascii_lowercase().starts_with("mailto:") => {
                (Some(u[7..].trim().to_string()), None)
            }
            Some(u) => (None, resolve(&u, base)),
            None => (None, None),
        };
        let p = Person { name, email, uri };
        if (p.name.is_some() || p.email.is_some()) && !out.contains(&p) {
            out.push(p);
        }
    }
    out
}

fn entry(item: Item, base: &url::Url, feed_authors: &[Person]) -> ParsedEntry {
    let nonempty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let content = nonempty(item.content_html)
        .map(Body::html)
        .or_else(|| nonempty(item.content_text.clone()).map(Body::text));
    let authors = people(item.author.as_ref(), &item.authors, base);
    let mut enclosures: Vec<Enclosure> = Vec::new();
    for a in &item.attachments {
        let Some(url) = a
            .get("url")
            .and_then(string)
            .and_then(|u| resolve(&u, base))
        else {
            continue;
        };
        if enclosures.len() < MAX_ENCLOSURES && !enclosures.iter().any(|e| e.url == url) {
            enclosures.push(Enclosure {
                url,
                mime_type: a.get("mime_type").and_then(string),
                length: a.get("size_in_bytes").and_then(Value::as_u64),
            });
        }
    }
    let mut categories: Vec<String> = Vec::new();
    for t in item.tags.iter().filter_map(string) {
        if categories.len() == MAX_CATEGORIES {
            break;
        }
        if !categories.contains(&t) {
            categories.push(t);
        }
    }
    ParsedEntry {
        guid: item.id.as_ref().and_then(string),
        link: item
            .url
            .as_deref()
            .or(item.external_url.as_deref())
            .and_then(|u| resolve(u, base)),
        title: nonempty(item.title).map(Body::text),
        summary: nonempty(item.summary).map(Body::text),
        content,
        authors: if authors.is_empty() {
            feed_authors.to_vec()
        } else {
            authors
        },
        categories,
        published: item.date_published.as_deref().and_then(dates::parse),
        updated: item.date_modified.as_deref().and_then(dates::parse),
        enclosures,
        base: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> url::Url {
        url::Url::parse("https://j.example/feed.json").unwrap()
    }

    #[test]
    fn items_with_kinds_attachments_and_authors() {
        let doc = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "J",
            "authors": [{"name": "Feed Author", "url": "mailto:fa@j.example"}],
            "items": [
              {"id": 1, "url": "/a", "title": "A <b>", "content_text": "x < y & z",
               "summary": "S", "date_published": "2026-01-02T03:04:05Z",
               "attachments": [{"url": "https://j.example/a.mp3", "mime_type": "audio/mpeg", "size_in_bytes": 42},
                               {"url": "https://j.example/b.mp3", "mime_type": "audio/mpeg"}],
               "tags": ["t1", "t1", "t2"]},
              {"id": "two", "content_html": "<p>h</p>", "authors": [{"name": "Own"}]},
              "not an object"
            ]}"#;
        let f = parse(doc, &base(), 10).unwrap();
        assert_eq!(f.entries.len(), 2);
        let a = &f.entries[0];
        assert_eq!(a.guid.as_deref(), Some("1"));
        assert_eq!(a.link.as_deref(), Some("https://j.example/a"));
        assert_eq!(a.title, Some(Body::text("A <b>")));
        assert_eq!(a.content, Some(Body::text("x < y & z")));
        assert_eq!(a.enclosures.len(), 2);
        assert_eq!(a.enclosures[0].length, Some(42));
        assert_eq!(a.categories, ["t1", "t2"]);
        assert_eq!(a.authors[0].email.as_deref(), Some("fa@j.example"));
        assert_eq!(f.entries[1].authors[0].name.as_deref(), Some("Own"));
        assert_eq!(f.entries[1].content, Some(Body::html("<p>h</p>")));
    }

    #[test]
    fn not_a_json_feed() {
        assert!(parse(b"{\"a\": 1}", &base(), 10).is_err());
        assert!(parse(b"[1,2]", &base(), 10).is_err());
    }
}
