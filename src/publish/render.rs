//! Items → RSS 2.0 bytes. Pure: no I/O, no database.
//!
//! Everything emitted is well-formed XML: characters illegal in XML are dropped,
//! item HTML is sanitised (ammonia: no script, no event handlers, no javascript:
//! URLs) with relative URLs made absolute against the item's link.

use std::collections::BTreeMap;

use rss::extension::Extension;

use crate::model::StoredItem;
use crate::normalize::strip_control;

/// Channel-level facts for one output.
#[derive(Debug, Clone)]
pub struct ChannelInfo<'a> {
    /// Output title.
    pub title: &'a str,
    /// Output description.
    pub description: &'a str,
    /// Absolute URL of this feed document (for `atom:link rel="self"`).
    pub self_url: &'a str,
    /// Absolute URL of a human-readable page (the server's index).
    pub site_url: &'a str,
}

/// Renders an RSS 2.0 document, items in the order given (newest first).
pub fn rss(channel: &ChannelInfo, items: &[StoredItem]) -> Vec<u8> {
    let mut atom_link = Extension {
        name: "atom:link".into(),
        ..Default::default()
    };
    atom_link
        .attrs
        .insert("href".into(), channel.self_url.into());
    atom_link.attrs.insert("rel".into(), "self".into());
    atom_link
        .attrs
        .insert("type".into(), "application/rss+xml".into());
    let mut atom = BTreeMap::new();
    atom.insert("link".to_string(), vec![atom_link]);
    let mut extensions = BTreeMap::new();
    extensions.insert("atom".to_string(), atom);
    let mut namespaces = BTreeMap::new();
    namespaces.insert("atom".into(), "http://www.w3.org/2005/Atom".into());
    namespaces.insert("dc".into(), "http://purl.org/dc/elements/1.1/".into());
    namespaces.insert(
        "content".into(),
        "http://purl.org/rss/1.0/modules/content/".into(),
    );

    let channel = rss::Channel {
        title: xml_text(channel.title),
        link: channel.site_url.into(),
        description: if channel.description.is_empty() {
            xml_text(channel.title)
        } else {
            xml_text(channel.description)
        },
        generator: Some(crate::fetch::USER_AGENT.into()),
        last_build_date: items
            .iter()
            .map(|i| i.modified)
            .max()
            .map(|d| d.to_rfc2822()),
        namespaces,
        extensions,
        items: items.iter().map(item).collect(),
        ..Default::default()
    };
    let mut out = Vec::with_capacity(4096 + items.len() * 2048);
    // Writing into a Vec cannot fail for I/O reasons, and every string was cleaned.
    channel.write_to(&mut out).expect("writing RSS into memory");
    out
}

fn item(i: &StoredItem) -> rss::Item {
    let base = i.link.as_deref().and_then(|l| url::Url::parse(l).ok());
    let summary = i.summary.as_deref().map(|h| sanitize(h, base.as_ref()));
    let content = i.content.as_deref().map(|h| sanitize(h, base.as_ref()));
    let mut dc = BTreeMap::new();
    if let Some(author) = &i.author {
        dc.insert(
            "creator".to_string(),
            vec![Extension {
                name: "dc:creator".into(),
                value: Some(xml_text(author)),
                ..Default::default()
            }],
        );
    }
    let mut extensions = BTreeMap::new();
    if !dc.is_empty() {
        extensions.insert("dc".to_string(), dc);
    }
    rss::Item {
        title: Some(xml_text(if i.title.is_empty() {
            "(untitled)"
        } else {
            &i.title
        })),
        link: i.link.clone().map(|l| xml_text(&l)),
        // The description is the summary; without one, the content (readers show it).
        description: summary.clone().or_else(|| content.clone()),
        content: content.filter(|_| summary.is_some()),
        guid: Some(rss::Guid {
            value: format!("urn:tidings:{}", i.uid),
            permalink: false,
        }),
        pub_date: Some(i.date.to_rfc2822()),
        categories: i
            .categories
            .iter()
            .map(|c| rss::Category {
                name: xml_text(c),
                domain: None,
            })
            .collect(),
        source: Some(rss::Source {
            url: xml_text(&i.feed_url),
            title: Some(xml_text(&i.feed_name)),
        }),
        extensions,
        ..Default::default()
    }
}

/// Text safe to put in an XML document.
pub fn xml_text(s: &str) -> String {
    strip_control(s)
}

/// Sanitised HTML: ammonia's defaults (no script/style, no event handlers, no
/// javascript: URLs), relative URLs resolved against `base`, links made safe.
pub fn sanitize(html: &str, base: Option<&url::Url>) -> String {
    let mut builder = ammonia::Builder::default();
    builder.link_rel(Some("noopener noreferrer nofollow"));
    match base {
        Some(b) => builder.url_relative(ammonia::UrlRelative::RewriteWithBase(b.clone())),
        None => builder.url_relative(ammonia::UrlRelative::Deny),
    };
    xml_text(&builder.clean(html).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn stored(uid: &str, title: &str, summary: &str) -> StoredItem {
        StoredItem {
            uid: uid.into(),
            feed_name: "Src".into(),
            feed_url: "https://src.example/rss".into(),
            link: Some("https://src.example/news/1".into()),
            title: title.into(),
            summary: Some(summary.into()),
            content: None,
            author: Some("Kim".into()),
            categories: vec!["Politics".into()],
            date: Utc::now(),
            modified: Utc::now(),
        }
    }

    const CH: ChannelInfo = ChannelInfo {
        title: "Out",
        description: "",
        self_url: "http://127.0.0.1:8080/feeds/out.xml",
        site_url: "http://127.0.0.1:8080/",
    };

    #[test]
    fn hostile_html_is_sanitised_and_urls_absolute() {
        let xml = String::from_utf8(rss(
            &CH,
            &[stored("a", "T", r#"<p onclick="x()">Hi <script>alert(1)</script><a href="javascript:alert(1)">j</a><img src="/i.png"></p>"#)],
        ))
        .unwrap();
        assert!(!xml.contains("<script") && !xml.contains("alert"), "{xml}");
        assert!(!xml.contains("onclick"));
        assert!(!xml.contains("javascript:"));
        assert!(xml.contains("https://src.example/i.png"), "{xml}");
    }

    #[test]
    fn illegal_xml_characters_are_dropped() {
        let xml =
            String::from_utf8(rss(&CH, &[stored("a", "bad\u{0}\u{c}title", "x\u{1}y")])).unwrap();
        assert!(xml.contains("<title>badtitle</title>"), "{xml}");
        assert!(!xml.contains('\u{0}') && !xml.contains('\u{c}') && !xml.contains('\u{1}'));
    }

    #[test]
    fn channel_has_self_link_and_items_have_guids() {
        let xml = String::from_utf8(rss(&CH, &[stored("a1", "T", "s")])).unwrap();
        assert!(xml.contains(r#"<atom:link href="http://127.0.0.1:8080/feeds/out.xml" rel="self" type="application/rss+xml">"#), "{xml}");
        assert!(
            xml.contains(r#"<guid isPermaLink="false">urn:tidings:a1</guid>"#),
            "{xml}"
        );
        assert!(xml.contains("<dc:creator>Kim</dc:creator>"), "{xml}");
    }
}
