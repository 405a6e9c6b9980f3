//! OPML import and export: the subscription lists other readers exchange.
//!
//! Import adds the OPML's feeds to the TOML config with toml_edit, so the file's
//! comments and layout stay as the user wrote them; folders become tags; feeds
//! already configured are skipped. Export writes the configured feeds.

use quick_xml::events::{BytesStart, Event};

use crate::config::FeedConfig;

/// A feed found in an OPML file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpmlFeed {
    /// `xmlUrl`.
    pub url: String,
    /// `title`, else `text`.
    pub title: Option<String>,
    /// The folders (parent outlines) it sits in, outermost first, as tags.
    pub tags: Vec<String>,
}

/// Why an OPML file could not be read or merged.
#[derive(Debug, thiserror::Error)]
pub enum OpmlError {
    /// Not well-formed XML.
    #[error("not a readable OPML file: {0}")]
    Xml(String),
    /// The config file could not be edited.
    #[error("cannot edit the config: {0}")]
    Config(String),
}

fn attr(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.0.eq_ignore_ascii_case(name))
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
        .filter(|v| !v.is_empty())
}

fn tag_of(folder: &str) -> String {
    folder
        .trim()
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
}

fn is_outline(e: &BytesStart) -> bool {
    e.name().0.eq_ignore_ascii_case("outline")
}

fn feed_of(e: &BytesStart, folders: &[Option<String>]) -> Option<OpmlFeed> {
    Some(OpmlFeed {
        url: attr(e, "xmlUrl")?,
        title: attr(e, "title").or_else(|| attr(e, "text")),
        tags: folders
            .iter()
            .flatten()
            .map(|f| tag_of(f))
            .filter(|t| !t.is_empty())
            .collect(),
    })
}

/// The feeds (outlines with an `xmlUrl`) of an OPML document, in order.
pub fn parse(text: &str) -> Result<Vec<OpmlFeed>, OpmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    // One entry per open outline: its folder name, or None for a feed outline.
    let mut folders: Vec<Option<String>> = Vec::new();
    let mut feeds = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| OpmlError::Xml(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(e) if is_outline(&e) => match feed_of(&e, &folders) {
                Some(feed) => {
                    feeds.push(feed);
                    folders.push(None);
                }
                None => folders.push(attr(&e, "title").or_else(|| attr(&e, "text"))),
            },
            Event::Empty(e) if is_outline(&e) => feeds.extend(feed_of(&e, &folders)),
            Event::End(e) if e.name().0.eq_ignore_ascii_case("outline") => {
                folders.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(feeds)
}

/// Adds `feeds` to the config text as `[[feed]]` tables, keeping everything else
/// byte for byte. Returns the new text and how many were added; feeds whose URL
/// is in `existing` (or repeated in the OPML) are skipped.
pub fn add_to_config(
    config_text: &str,
    feeds: &[OpmlFeed],
    existing: &[String],
) -> Result<(String, usize), OpmlError> {
    let mut doc: toml_edit::DocumentMut = config_text
        .parse()
        .map_err(|e: toml_edit::TomlError| OpmlError::Config(e.to_string()))?;
    let mut seen: std::collections::HashSet<String> =
        existing.iter().map(|u| normalize(u)).collect();
    let mut added = 0;
    for feed in feeds {
        if !seen.insert(normalize(&feed.url)) {
            continue;
        }
        let mut table = toml_edit::Table::new();
        table["url"] = toml_edit::value(feed.url.as_str());
        if let Some(title) = &feed.title {
            table["name"] = toml_edit::value(title.as_str());
        }
        if !feed.tags.is_empty() {
            table["tags"] = toml_edit::value(
                feed.tags
                    .iter()
                    .map(String::as_str)
                    .collect::<toml_edit::Array>(),
            );
        }
        let list = doc
            .entry("feed")
            .or_insert_with(|| toml_edit::Item::ArrayOfTables(toml_edit::ArrayOfTables::new()))
            .as_array_of_tables_mut()
            .ok_or_else(|| OpmlError::Config("`feed` is not an array of [[feed]] tables".into()))?;
        list.push(table);
        added += 1;
    }
    Ok((doc.to_string(), added))
}

/// A URL as compared for duplicates: parsed and re-serialised (case of the host,
/// default ports, escaping), without a trailing slash.
fn normalize(url: &str) -> String {
    url::Url::parse(url.trim())
        .map(|u| u.to_string())
        .unwrap_or_else(|_| url.trim().to_string())
        .trim_end_matches('/')
        .to_string()
}

/// The configured feeds as an OPML 2.0 document (the first tag as folder-less
/// `category`, all tags in it).
pub fn render(feeds: &[std::sync::Arc<FeedConfig>]) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<opml version=\"2.0\">\n<head><title>tidings feeds</title></head>\n<body>\n",
    );
    for f in feeds {
        out.push_str(&format!(
            "<outline type=\"rss\" text=\"{n}\" title=\"{n}\" xmlUrl=\"{u}\"{c}/>\n",
            n = esc(&f.name),
            u = esc(f.url.as_str()),
            c = if f.tags.is_empty() {
                String::new()
            } else {
                format!(" category=\"{}\"", esc(&f.tags.join(",")))
            }
        ));
    }
    out.push_str("</body>\n</opml>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPML: &str = r#"<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
      <outline text="Korea News">
        <outline text="Yonhap" type="rss" xmlUrl="https://en.yna.co.kr/RSS/news.xml"/>
        <outline text="K &amp; H" title="Korea Herald" xmlUrl="https://www.koreaherald.com/rss"></outline>
      </outline>
      <outline text="Loose" xmlUrl="https://loose.example/feed"/>
      <outline text="Empty folder"></outline>
    </body></opml>"#;

    #[test]
    fn folders_become_tags_and_titles_names() {
        let feeds = parse(OPML).unwrap();
        assert_eq!(feeds.len(), 3);
        assert_eq!(feeds[0].tags, ["korea-news"]);
        assert_eq!(feeds[1].title.as_deref(), Some("Korea Herald"));
        assert!(feeds[2].tags.is_empty(), "the folder closed before it");
    }

    #[test]
    fn import_keeps_comments_and_skips_duplicates() {
        let config = "# my feeds\n[daemon]\nlisten = \"127.0.0.1:8080\" # keep me\n\n[[feed]]\nurl = \"https://en.yna.co.kr/RSS/news.xml\"\n";
        let (text, added) = add_to_config(
            config,
            &parse(OPML).unwrap(),
            &["https://en.yna.co.kr/RSS/news.xml".into()],
        )
        .unwrap();
        assert_eq!(added, 2);
        assert!(
            text.starts_with("# my feeds\n[daemon]\nlisten = \"127.0.0.1:8080\" # keep me\n"),
            "{text}"
        );
        assert!(
            text.contains("name = \"Korea Herald\"") && text.contains("tags = [\"korea-news\"]"),
            "{text}"
        );
        assert_eq!(text.matches("[[feed]]").count(), 3);
    }

    #[test]
    fn broken_opml_is_an_error() {
        assert!(parse("<opml><body><outline text=\"x\"></body></opml>").is_err());
    }
}
