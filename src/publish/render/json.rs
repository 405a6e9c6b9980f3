//! JSON Feed 1.1 (https://jsonfeed.org/version/1.1) through serde_json.

use chrono::SecondsFormat;
use serde_json::{Map, Value, json};

use super::{ChannelInfo, Prepared};

pub(super) fn render(channel: &ChannelInfo, items: &[Prepared]) -> Vec<u8> {
    let mut feed = Map::new();
    feed.insert("version".into(), json!("https://jsonfeed.org/version/1.1"));
    feed.insert("title".into(), json!(channel.title));
    feed.insert("home_page_url".into(), json!(channel.site_url));
    feed.insert("feed_url".into(), json!(channel.self_url));
    if !channel.description.is_empty() {
        feed.insert("description".into(), json!(channel.description));
    }
    feed.insert(
        "items".into(),
        Value::Array(items.iter().map(item).collect()),
    );
    // Serialising a Value cannot fail.
    serde_json::to_vec(&Value::Object(feed)).expect("JSON in memory")
}

fn item(p: &Prepared) -> Value {
    let i = p.item;
    let mut o = Map::new();
    o.insert("id".into(), json!(p.id));
    if let Some(link) = &i.link {
        o.insert("url".into(), json!(link));
    }
    o.insert("title".into(), json!(p.title));
    // The spec requires content_html or content_text; we give both.
    let html = p.content_html.or(p.summary_html);
    o.insert("content_html".into(), json!(html.unwrap_or_default()));
    o.insert("content_text".into(), json!(p.text));
    if let Some(summary) = p.summary_text {
        o.insert("summary".into(), json!(summary));
    }
    o.insert(
        "date_published".into(),
        json!(i.date.to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    o.insert(
        "date_modified".into(),
        json!(super::atom::updated(i).to_rfc3339_opts(SecondsFormat::Secs, true)),
    );
    let authors: Vec<Value> = i
        .authors
        .iter()
        .map(|a| {
            let mut o = Map::new();
            if let Some(name) = a.display() {
                o.insert("name".into(), json!(name));
            }
            // JSON Feed has no e-mail field: an address goes in `url` as
            // mailto: (the source stated it; a home page is the fallback).
            match (&a.email, &a.uri) {
                (Some(email), _) => o.insert("url".into(), json!(format!("mailto:{email}"))),
                (None, Some(uri)) => o.insert("url".into(), json!(uri)),
                (None, None) => None,
            };
            Value::Object(o)
        })
        .collect();
    if !authors.is_empty() {
        o.insert("authors".into(), Value::Array(authors));
    }
    if !i.categories.is_empty() {
        o.insert("tags".into(), json!(i.categories));
    }
    if !i.enclosures.is_empty() {
        let attachments: Vec<Value> = i
            .enclosures
            .iter()
            .map(|e| {
                let mut a = Map::new();
                a.insert("url".into(), json!(e.url));
                a.insert(
                    "mime_type".into(),
                    json!(e.mime_type.as_deref().unwrap_or("application/octet-stream")),
                );
                if let Some(l) = e.length.filter(|l| *l > 0) {
                    a.insert("size_in_bytes".into(), json!(l));
                }
                Value::Object(a)
            })
            .collect();
        o.insert("attachments".into(), Value::Array(attachments));
    }
    let mut ext = Map::new();
    ext.insert(
        "source".into(),
        json!({ "name": i.feed_name, "feed_url": i.feed_url }),
    );
    if !i.also.is_empty() {
        // The story's other copies (story de-duplication).
        let also: Vec<Value> = i
            .also
            .iter()
            .map(|c| json!({ "url": c.url, "feed": c.feed, "title": c.title }))
            .collect();
        ext.insert("also".into(), Value::Array(also));
    }
    o.insert("_tidings".into(), Value::Object(ext));
    Value::Object(o)
}
