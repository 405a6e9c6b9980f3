//! RSS 2.0 through the `rss` crate, with the `atom`, `dc` and `content` namespaces.

use std::collections::BTreeMap;

use rss::extension::Extension;

use super::{ChannelInfo, Prepared, xml_text};

fn extension(name: &str, value: Option<String>, attrs: &[(&str, &str)]) -> Extension {
    Extension {
        name: name.into(),
        value,
        attrs: attrs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..Default::default()
    }
}

pub(super) fn render(channel: &ChannelInfo, items: &[Prepared]) -> Vec<u8> {
    let self_link = extension(
        "atom:link",
        None,
        &[
            ("href", channel.self_url),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ],
    );
    let mut extensions = BTreeMap::new();
    extensions.insert(
        "atom".to_string(),
        BTreeMap::from([("link".to_string(), vec![self_link])]),
    );
    let namespaces = BTreeMap::from([
        (
            "atom".to_string(),
            "http://www.w3.org/2005/Atom".to_string(),
        ),
        (
            "dc".to_string(),
            "http://purl.org/dc/elements/1.1/".to_string(),
        ),
        (
            "content".to_string(),
            "http://purl.org/rss/1.0/modules/content/".to_string(),
        ),
        (
            "dcterms".to_string(),
            "http://purl.org/dc/terms/".to_string(),
        ),
    ]);
    let channel = rss::Channel {
        title: xml_text(channel.title),
        link: channel.site_url.into(),
        description: xml_text(if channel.description.is_empty() {
            channel.title
        } else {
            channel.description
        }),
        generator: Some(crate::fetch::USER_AGENT.into()),
        last_build_date: items
            .iter()
            .map(|p| p.item.modified)
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

/// "Also reported by" with a link to each other copy of the story, as HTML;
/// empty without any.
fn also_paragraph(i: &crate::model::StoredItem) -> String {
    if i.also.is_empty() {
        return String::new();
    }
    let links: Vec<String> = i
        .also
        .iter()
        .map(|c| {
            format!(
                "<a href=\"{}\">{}</a>",
                super::escape(&c.url),
                super::escape(&c.feed)
            )
        })
        .collect();
    format!("<p>Also reported by: {}</p>", links.join(", "))
}

fn item(p: &Prepared) -> rss::Item {
    let i = p.item;
    let mut extensions: BTreeMap<String, BTreeMap<String, Vec<Extension>>> = BTreeMap::new();
    let mut add = |ns: &str, name: &str, ext: Extension| {
        extensions
            .entry(ns.to_string())
            .or_default()
            .entry(name.to_string())
            .or_default()
            .push(ext);
    };
    // RSS `<author>` must be an e-mail address ("email (Name)"): the first
    // author when they have one; everyone else is a `dc:creator`, in order.
    let mut authors = i.authors.iter();
    let author = match i.authors.first() {
        Some(a) if a.email.is_some() => {
            authors.next();
            let email = a.email.as_deref().unwrap_or_default();
            Some(xml_text(&match &a.name {
                Some(name) => format!("{email} ({name})"),
                None => email.to_string(),
            }))
        }
        _ => None,
    };
    for a in authors {
        if let Some(name) = a.display() {
            add(
                "dc",
                "creator",
                extension("dc:creator", Some(xml_text(name)), &[]),
            );
        }
    }
    // RSS has one `<enclosure>`; the others follow as Atom enclosure links,
    // which feed readers read alongside it.
    for e in i.enclosures.iter().skip(1) {
        let length = e.length.map(|l| l.to_string());
        let mut attrs = vec![("rel", "enclosure"), ("href", e.url.as_str())];
        if let Some(t) = &e.mime_type {
            attrs.push(("type", t));
        }
        if let Some(l) = &length {
            attrs.push(("length", l));
        }
        add("atom", "link", extension("atom:link", None, &attrs));
    }
    if let Some(updated) = i.updated {
        add(
            "dcterms",
            "modified",
            extension(
                "dcterms:modified",
                Some(updated.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                &[],
            ),
        );
    }
    // The description is the summary; without one, the content. content:encoded
    // carries the full content when there is one. The story's other copies
    // (story de-duplication) close the content RSS readers show.
    let also = also_paragraph(i);
    let with_also = |html: &str| format!("{html}{also}");
    let (description, content) = match (p.summary_html, p.content_html) {
        (Some(s), Some(c)) => (Some(s.to_string()), Some(with_also(c))),
        (None, Some(c)) => (Some(with_also(c)), Some(with_also(c))),
        (Some(s), None) => (Some(with_also(s)), None),
        (None, None) => ((!also.is_empty()).then(|| also.clone()), None),
    };
    rss::Item {
        title: Some(p.title.clone()),
        link: i.link.as_deref().map(xml_text),
        description,
        author,
        content,
        // Our own id, never the link: a link can change or be shared by two items.
        guid: Some(rss::Guid {
            value: p.id.clone(),
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
        enclosure: i.enclosures.first().map(|e| rss::Enclosure {
            url: xml_text(&e.url),
            length: e.length.unwrap_or(0).to_string(),
            mime_type: e
                .mime_type
                .clone()
                .unwrap_or_else(|| "application/octet-stream".into()),
        }),
        source: Some(rss::Source {
            url: xml_text(&i.feed_url),
            title: Some(xml_text(&i.feed_name)),
        }),
        extensions,
        ..Default::default()
    }
}
