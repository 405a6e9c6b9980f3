//! Items → feed documents (RSS 2.0, Atom 1.0, JSON Feed 1.1). Pure: no I/O.
//!
//! Items arrive prepared: their HTML was sanitised and their text derived once,
//! when they were stored (`text::prepare`), so a render only lays values out
//! ([`Prepared`] picks them) and escapes them — no HTML is parsed here.

mod atom;
mod json;
mod rss;

use crate::model::StoredItem;
use crate::text::strip_control;

/// The three output formats, by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// `.xml`: RSS 2.0.
    Rss,
    /// `.atom`: Atom 1.0.
    Atom,
    /// `.json`: JSON Feed 1.1.
    Json,
}

impl Format {
    /// Splits `name.ext` into the output name and its format.
    pub fn from_file(file: &str) -> Option<(&str, Format)> {
        let (name, ext) = file.rsplit_once('.')?;
        let format = match ext {
            "xml" | "rss" => Format::Rss,
            "atom" => Format::Atom,
            "json" => Format::Json,
            _ => return None,
        };
        Some((name, format))
    }

    /// The file extension of this format's canonical URL.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Rss => "xml",
            Format::Atom => "atom",
            Format::Json => "json",
        }
    }

    /// `Content-Type` of the served document.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }
}

/// Channel-level facts for one output.
#[derive(Debug, Clone)]
pub struct ChannelInfo<'a> {
    /// Output name (stable id of the channel).
    pub name: &'a str,
    /// Output title.
    pub title: &'a str,
    /// Output description.
    pub description: &'a str,
    /// Absolute URL of this document (for `rel="self"` / `feed_url`).
    pub self_url: &'a str,
    /// Absolute URL of a human-readable page (the server's index).
    pub site_url: &'a str,
}

/// An item's values as the writers lay them out.
pub struct Prepared<'a> {
    /// The stored item.
    pub item: &'a StoredItem,
    /// Public id: `urn:tidings:<uid>`, the same in every format.
    pub id: String,
    /// Clean title (never empty).
    pub title: String,
    /// Sanitised summary HTML.
    pub summary_html: Option<&'a str>,
    /// Sanitised full-content HTML.
    pub content_html: Option<&'a str>,
    /// Plain text of the best body (content, else summary).
    pub text: &'a str,
    /// Plain text of the summary.
    pub summary_text: Option<&'a str>,
}

/// Picks each item's values for the writers.
pub fn prepare(items: &[StoredItem]) -> Vec<Prepared<'_>> {
    items
        .iter()
        .map(|item| {
            let summary_text = item
                .summary
                .as_ref()
                .map(|s| s.text.as_str())
                .filter(|t| !t.is_empty());
            Prepared {
                item,
                id: format!("urn:tidings:{}", item.uid),
                title: if item.title.trim().is_empty() {
                    "(untitled)".to_string()
                } else {
                    xml_text(&item.title)
                },
                summary_html: item.summary.as_ref().map(|s| s.html.as_str()),
                content_html: item.content.as_ref().map(|c| c.html.as_str()),
                text: item
                    .content
                    .as_ref()
                    .map(|c| c.text.as_str())
                    .or(summary_text)
                    .unwrap_or(""),
                summary_text,
            }
        })
        .collect()
}

/// Renders one document.
pub fn render(format: Format, channel: &ChannelInfo, items: &[StoredItem]) -> Vec<u8> {
    let prepared = prepare(items);
    match format {
        Format::Rss => rss::render(channel, &prepared),
        Format::Atom => atom::render(channel, &prepared),
        Format::Json => json::render(channel, &prepared),
    }
}

/// Text safe to put in an XML document.
pub fn xml_text(s: &str) -> String {
    strip_control(s).into_owned()
}

/// Escapes text for XML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    for c in strip_control(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests;
