//! Items → feed documents (RSS 2.0, Atom 1.0, JSON Feed 1.1). Pure: no I/O.
//!
//! Every item is prepared once ([`Prepared`]): HTML sanitised (ammonia: no script,
//! no event handlers, no javascript: URLs, no 1×1 tracking pixels) with relative
//! URLs made absolute, characters illegal in XML dropped, a plain-text version
//! derived. The three writers only lay the prepared values out.

mod atom;
mod json;
mod rss;

use crate::model::StoredItem;
use crate::normalize::{html_to_text, strip_control};

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

/// An item with its HTML sanitised and text derived, shared by the writers.
pub struct Prepared<'a> {
    /// The stored item.
    pub item: &'a StoredItem,
    /// Public id: `urn:tidings:<uid>`, the same in every format.
    pub id: String,
    /// Clean title (never empty).
    pub title: String,
    /// Sanitised summary HTML.
    pub summary_html: Option<String>,
    /// Sanitised full-content HTML.
    pub content_html: Option<String>,
    /// Plain text of the best body (content, else summary).
    pub text: String,
    /// Plain text of the summary.
    pub summary_text: Option<String>,
}

/// Prepares items for rendering.
pub fn prepare(items: &[StoredItem]) -> Vec<Prepared<'_>> {
    items
        .iter()
        .map(|item| {
            let base = item.link.as_deref().and_then(|l| url::Url::parse(l).ok());
            let summary_html = item.summary.as_deref().map(|h| sanitize(h, base.as_ref()));
            let content_html = item.content.as_deref().map(|h| sanitize(h, base.as_ref()));
            let summary_text = summary_html
                .as_deref()
                .map(html_to_text)
                .filter(|t| !t.is_empty());
            let text = content_html
                .as_deref()
                .map(html_to_text)
                .or_else(|| summary_text.clone())
                .unwrap_or_default();
            Prepared {
                item,
                id: format!("urn:tidings:{}", item.uid),
                title: if item.title.trim().is_empty() {
                    "(untitled)".to_string()
                } else {
                    xml_text(&item.title)
                },
                summary_html,
                content_html,
                text,
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
    strip_control(s)
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

/// Sanitised HTML: ammonia's defaults (no script/style, no event handlers, no
/// javascript: URLs), relative URLs resolved against `base`, 1×1 images dropped.
pub fn sanitize(html: &str, base: Option<&url::Url>) -> String {
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some("noopener noreferrer nofollow"));
    match base {
        Some(b) => builder.url_relative(ammonia::UrlRelative::RewriteWithBase(b.clone())),
        None => builder.url_relative(ammonia::UrlRelative::Deny),
    };
    let cleaned = builder.clean(&drop_pixels(html)).to_string();
    xml_text(&cleaned)
}

/// Removes `<img>` tags that declare a width or height of 0 or 1 pixel: tracking
/// pixels, which would report every reader's visit to a third party.
fn drop_pixels(html: &str) -> std::borrow::Cow<'_, str> {
    let lower = html.to_ascii_lowercase();
    if !lower.contains("<img") {
        return html.into();
    }
    let mut out = String::with_capacity(html.len());
    let mut pos = 0;
    while let Some(i) = lower[pos..].find("<img").map(|i| pos + i) {
        out.push_str(&html[pos..i]);
        let end = lower[i..].find('>').map_or(html.len(), |j| i + j + 1);
        if !is_pixel(&lower[i..end]) {
            out.push_str(&html[i..end]);
        }
        pos = end;
    }
    out.push_str(&html[pos..]);
    out.into()
}

fn is_pixel(tag: &str) -> bool {
    ["width", "height"].iter().any(|a| {
        attr_value(tag, a).is_some_and(|v| matches!(v.trim().trim_end_matches("px"), "0" | "1"))
    })
}

/// The value of attribute `name` in a lower-cased start tag.
fn attr_value<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let mut from = 0;
    while let Some(i) = tag[from..].find(name).map(|i| from + i) {
        from = i + name.len();
        let preceded = i > 0 && tag.as_bytes()[i - 1].is_ascii_whitespace();
        let Some(value) = tag[from..].trim_start().strip_prefix('=') else {
            continue;
        };
        if !preceded {
            continue;
        }
        let value = value.trim_start();
        let (value, end) = match value.chars().next() {
            Some(q @ ('"' | '\'')) => (&value[1..], value[1..].find(q)),
            _ => (
                value,
                value.find(|c: char| c.is_whitespace() || c == '>' || c == '/'),
            ),
        };
        return Some(&value[..end.unwrap_or(value.len())]);
    }
    None
}

#[cfg(test)]
mod tests;
