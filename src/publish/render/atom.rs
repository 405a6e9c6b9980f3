//! Atom 1.0 (RFC 4287), written directly: the format is small and the
//! atom_syndication crate would bring a builder-macro stack for little.

use std::fmt::Write;

use chrono::{DateTime, SecondsFormat, Utc};

use super::{ChannelInfo, Prepared, escape};

fn date(d: DateTime<Utc>) -> String {
    d.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An entry's `updated`: what the source states, else when we last stored a
/// change to it (never before its publication date).
pub(super) fn updated(i: &crate::model::StoredItem) -> DateTime<Utc> {
    i.updated.unwrap_or(i.modified.max(i.date))
}

pub(super) fn render(channel: &ChannelInfo, items: &[Prepared]) -> Vec<u8> {
    let updated = items
        .iter()
        .map(|p| updated(p.item))
        .max()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let mut x = String::with_capacity(4096 + items.len() * 2048);
    x.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    let _ = writeln!(x, "<id>urn:tidings:output:{}</id>", escape(channel.name));
    let _ = writeln!(x, "<title type=\"text\">{}</title>", escape(channel.title));
    if !channel.description.is_empty() {
        let _ = writeln!(
            x,
            "<subtitle type=\"text\">{}</subtitle>",
            escape(channel.description)
        );
    }
    let _ = writeln!(x, "<updated>{}</updated>", date(updated));
    let _ = writeln!(
        x,
        "<link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>",
        escape(channel.self_url)
    );
    let _ = writeln!(
        x,
        "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
        escape(channel.site_url)
    );
    // Atom requires an author on the feed unless every entry has one.
    x.push_str("<author><name>tidings</name></author>\n");
    let _ = writeln!(
        x,
        "<generator version=\"{}\">tidings</generator>",
        env!("CARGO_PKG_VERSION")
    );
    for p in items {
        entry(&mut x, p);
    }
    x.push_str("</feed>\n");
    x.into_bytes()
}

fn entry(x: &mut String, p: &Prepared) {
    let i = p.item;
    x.push_str("<entry>\n");
    let _ = writeln!(x, "<id>{}</id>", escape(&p.id));
    let _ = writeln!(x, "<title type=\"text\">{}</title>", escape(&p.title));
    if let Some(link) = &i.link {
        let _ = writeln!(
            x,
            "<link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>",
            escape(link)
        );
    }
    // The story's other copies (story de-duplication).
    for c in &i.also {
        let _ = writeln!(
            x,
            "<link rel=\"related\" type=\"text/html\" href=\"{}\" title=\"{}\"/>",
            escape(&c.url),
            escape(&format!("{} ({})", c.title, c.feed))
        );
    }
    let _ = writeln!(x, "<published>{}</published>", date(i.date));
    let _ = writeln!(x, "<updated>{}</updated>", date(updated(i)));
    for a in &i.authors {
        let Some(name) = a.display() else { continue };
        let _ = write!(x, "<author><name>{}</name>", escape(name));
        if let Some(email) = &a.email {
            let _ = write!(x, "<email>{}</email>", escape(email));
        }
        if let Some(uri) = &a.uri {
            let _ = write!(x, "<uri>{}</uri>", escape(uri));
        }
        x.push_str("</author>\n");
    }
    for c in &i.categories {
        let _ = writeln!(x, "<category term=\"{}\"/>", escape(c));
    }
    for e in &i.enclosures {
        let _ = write!(x, "<link rel=\"enclosure\" href=\"{}\"", escape(&e.url));
        if let Some(t) = &e.mime_type {
            let _ = write!(x, " type=\"{}\"", escape(t));
        }
        if let Some(l) = e.length {
            let _ = write!(x, " length=\"{l}\"");
        }
        x.push_str("/>\n");
    }
    if let Some(summary) = p.summary_html {
        let _ = writeln!(x, "<summary type=\"html\">{}</summary>", escape(summary));
    }
    if let Some(content) = p.content_html.or(p.summary_html) {
        let _ = writeln!(x, "<content type=\"html\">{}</content>", escape(content));
    }
    let _ = writeln!(
        x,
        "<source><id>{}</id><title>{}</title><link rel=\"self\" href=\"{}\"/><updated>{}</updated></source>",
        escape(&i.feed_url),
        escape(&i.feed_name),
        escape(&i.feed_url),
        date(i.modified)
    );
    x.push_str("</entry>\n");
}
