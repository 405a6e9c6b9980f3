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

fn item(p: &Prepared) -> rss::Item {
    let i = p.item;
    let mut extensions = BTreeMap::new();
    if let Some(author) = &i.author {
        let creator = extension("dc:creator", Some(xml_text(author)), &[]);
        extensions.insert(
            "dc".to_string(),
            BTreeMap::from([("creator".to_string(), vec![creator])]),
        );
    }
    // The description is the summary; without one, the content. content:encoded
    // carries the full content when there is one.
    let description = p.summary_html.clone().or_else(|| p.content_html.clone());
    rss::Item {
        title: Some(p.title.clone()),
        link: i.link.as_deref().map(xml_text),
        description,
        content: p.content_html.clone(),
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
        // RSS allows one enclosure per item.
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
