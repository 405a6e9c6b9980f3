//! [`ParsedFeed`] → [`NewItem`]s: our own item key, clean titles, a content hash.
//!
//! Identity never comes from feed-rs's generated ids (a SipHash of link + title,
//! or a random UUID): the key is the document's guid when it has one, else the
//! link as published, else a hash of the title and content. A guid repeated within
//! one document is disambiguated by link so both items are kept.

use std::collections::HashSet;

use sha2::{Digest, Sha256};

use crate::model::{NewItem, ParsedEntry, ParsedFeed};

/// Turns a parsed document into items with keys unique within the document.
pub fn entries(parsed: &ParsedFeed) -> Vec<NewItem> {
    let mut seen: HashSet<String> = HashSet::new();
    parsed
        .entries
        .iter()
        .map(|entry| {
            let mut item = item(entry);
            let base_key = item.key.clone();
            // Same guid (or link) twice in one document: two stories, keep both.
            // The first keeps the plain key so it stays stable across polls.
            let mut n = 1;
            while !seen.insert(item.key.clone()) {
                n += 1;
                let salt = format!(
                    "{}\n{}\n{n}",
                    item.link.as_deref().unwrap_or(""),
                    item.title
                );
                item.key = format!("{base_key}#{}", &hex_digest(salt.as_bytes())[..16]);
            }
            item
        })
        .collect()
}

/// One entry → item, without cross-entry disambiguation.
fn item(entry: &ParsedEntry) -> NewItem {
    let title = entry.title.as_deref().map(clean_title).unwrap_or_default();
    let link = entry.link.clone();
    let canonical_link = link.as_deref().and_then(canonical_url);
    let summary = entry
        .summary
        .as_deref()
        .map(strip_control)
        .filter(|s| !s.trim().is_empty());
    let content = entry
        .content
        .as_deref()
        .map(strip_control)
        .filter(|s| !s.trim().is_empty());
    let author = Some(entry.authors.join(", "))
        .filter(|a| !a.is_empty())
        .map(|a| clean_title(&a));
    let key = item_key(
        entry.guid.as_deref(),
        link.as_deref(),
        &title,
        summary.as_deref(),
        content.as_deref(),
    );
    let categories: Vec<String> = entry.categories.iter().map(|c| clean_title(c)).collect();
    let content_hash = hex_digest(
        [
            title.as_str(),
            link.as_deref().unwrap_or(""),
            summary.as_deref().unwrap_or(""),
            content.as_deref().unwrap_or(""),
            author.as_deref().unwrap_or(""),
            &categories.join("\u{1f}"),
            &entry.published.map(|d| d.to_rfc3339()).unwrap_or_default(),
            &entry
                .enclosures
                .iter()
                .map(|e| e.url.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ]
        .join("\u{1e}")
        .as_bytes(),
    );
    NewItem {
        key,
        guid: entry.guid.clone(),
        link,
        canonical_link,
        title,
        summary,
        content,
        author,
        categories,
        published: entry.published.or(entry.updated),
        updated: entry.updated,
        enclosures: entry.enclosures.clone(),
        content_hash,
    }
}

/// Query parameters that only say where a click came from.
const TRACKING_PARAMS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "rb_clickid",
    "s_cid",
    "cmpid",
    "ocid",
    "ncid",
    "sr_share",
    "ito",
];

/// The link without tracking parameters (`utm_*` and the ids in
/// `TRACKING_PARAMS`), without fragment; `None` for a link that is not http(s).
pub fn canonical_url(link: &str) -> Option<String> {
    let mut url = url::Url::parse(link.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    url.set_fragment(None);
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| {
                let k = k.to_ascii_lowercase();
                !k.starts_with("utm_") && !TRACKING_PARAMS.contains(&k.as_str())
            })
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        if kept.is_empty() {
            url.set_query(None);
        } else {
            url.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    Some(url.to_string())
}

/// The key under which two links count as the same story: the canonical URL
/// without its scheme and a leading `www.`.
pub fn story_key(canonical: &str) -> String {
    let rest = canonical.split_once("://").map_or(canonical, |(_, r)| r);
    rest.strip_prefix("www.")
        .unwrap_or(rest)
        .trim_end_matches('/')
        .to_string()
}

/// Our identity key for an entry: the guid if present, else the link, else a hash
/// of what the entry says.
pub fn item_key(
    guid: Option<&str>,
    link: Option<&str>,
    title: &str,
    summary: Option<&str>,
    content: Option<&str>,
) -> String {
    if let Some(g) = guid.map(str::trim).filter(|g| !g.is_empty()) {
        return format!("guid:{g}");
    }
    if let Some(l) = link.map(str::trim).filter(|l| !l.is_empty()) {
        return format!("link:{l}");
    }
    let body = format!(
        "{title}\n{}\n{}",
        summary.unwrap_or(""),
        content.unwrap_or("")
    );
    format!("hash:{}", hex_digest(body.as_bytes()))
}

/// The public id of an item: stable across restarts and database rebuilds, and the
/// same in every output.
pub fn public_id(feed_url: &str, key: &str) -> String {
    hex_digest(format!("{feed_url}\n{key}").as_bytes())[..32].to_string()
}

/// Lower-case hex SHA-256.
pub fn hex_digest(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest.iter() {
        out.push(HEX[(b >> 4) as usize] as char);
        out.push(HEX[(b & 15) as usize] as char);
    }
    out
}

/// A title as plain text: tags removed, entities that survived XML decoding (double
/// escaping, `&nbsp;` in CDATA) decoded, control characters dropped, whitespace
/// collapsed.
pub fn clean_title(raw: &str) -> String {
    let mut no_tags = String::with_capacity(raw.len());
    let mut in_tag = false;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // A '<' followed by a letter, '/' or '!' opens a tag; "1 < 2" stays text.
            '<' if !in_tag
                && chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, '/' | '!')) =>
            {
                in_tag = true
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => no_tags.push(c),
            _ => {}
        }
    }
    let decoded = decode_entities(&no_tags);
    let mut out = String::with_capacity(decoded.len());
    for word in strip_control(&decoded).split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Plain text of an HTML fragment: block ends become blank lines, tags are
/// dropped, entities decoded, runs of spaces collapsed.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        text.push_str(&rest[..i]);
        let end = rest[i..].find('>').map_or(rest.len(), |j| i + j + 1);
        let tag = rest[i + 1..end.saturating_sub(1).max(i + 1)]
            .trim_start_matches('/')
            .to_ascii_lowercase();
        let name: String = tag
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if matches!(
            name.as_str(),
            "p" | "div"
                | "br"
                | "li"
                | "h1"
                | "h2"
                | "h3"
                | "h4"
                | "h5"
                | "h6"
                | "blockquote"
                | "tr"
                | "figure"
                | "section"
                | "article"
        ) {
            text.push('\n');
        }
        rest = &rest[end..];
    }
    text.push_str(rest);
    let decoded = decode_entities(&text);
    let paragraphs: Vec<String> = decoded
        .split('\n')
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    paragraphs.join("\n\n")
}

/// Drops characters that are illegal in XML 1.0 (NUL, form feed, other C0
/// controls except tab/newline/CR, U+FFFE/U+FFFF).
pub fn strip_control(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .collect()
}

/// Decodes numeric and the common named HTML entities; unknown ones are kept.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..]
            .find(|c: char| c == ';' || c == '&' || c.is_whitespace())
            .map(|j| j + 1);
        let decoded = match end {
            Some(j) if rest.as_bytes()[j] == b';' && j <= 12 => {
                entity(&rest[1..j]).map(|c| (c, j + 1))
            }
            _ => None,
        };
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|&c| c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "middot" => '·',
        "copy" => '©',
        "reg" => '®',
        "trade" => '™',
        "eacute" => 'é',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(guid: Option<&str>, link: Option<&str>, title: &str) -> ParsedEntry {
        ParsedEntry {
            guid: guid.map(str::to_string),
            link: link.map(str::to_string),
            title: Some(title.to_string()),
            ..Default::default()
        }
    }

    #[test]
    fn key_prefers_guid_then_link_then_hash() {
        assert_eq!(
            item_key(Some("g1"), Some("https://a/"), "t", None, None),
            "guid:g1"
        );
        assert_eq!(
            item_key(Some("  "), Some("https://a/"), "t", None, None),
            "link:https://a/"
        );
        let h = item_key(None, None, "t", Some("s"), None);
        assert!(h.starts_with("hash:") && h.len() == 5 + 64);
        assert_eq!(
            h,
            item_key(None, None, "t", Some("s"), None),
            "deterministic"
        );
        assert_ne!(h, item_key(None, None, "t2", Some("s"), None));
    }

    #[test]
    fn retitled_item_keeps_its_key_but_changes_hash() {
        let a = item(&entry(None, Some("https://n.example/1"), "First title"));
        let b = item(&entry(None, Some("https://n.example/1"), "Corrected title"));
        assert_eq!(a.key, b.key);
        assert_ne!(a.content_hash, b.content_hash);
    }

    #[test]
    fn repeated_guid_in_one_document_keeps_both() {
        let parsed = ParsedFeed {
            entries: vec![
                entry(Some("same"), Some("https://n.example/a"), "A"),
                entry(Some("same"), Some("https://n.example/b"), "B"),
                entry(Some("same"), Some("https://n.example/b"), "B"),
            ],
            ..Default::default()
        };
        let items = entries(&parsed);
        assert_eq!(items[0].key, "guid:same");
        assert!(items[1].key.starts_with("guid:same#"));
        let keys: HashSet<_> = items.iter().map(|i| &i.key).collect();
        assert_eq!(keys.len(), 3);
        // Stable: the same document gives the same keys again.
        let again: Vec<_> = entries(&parsed).into_iter().map(|i| i.key).collect();
        assert_eq!(
            again,
            items.iter().map(|i| i.key.clone()).collect::<Vec<_>>()
        );
    }

    #[test]
    fn titles_are_plain_text() {
        assert_eq!(
            clean_title("  AT&amp;T <b>wins</b>\n again "),
            "AT&T wins again"
        );
        assert_eq!(clean_title("a\u{0}b\u{c}c"), "abc");
        assert_eq!(
            clean_title("Seoul&nbsp;talks &#8212; &#x4E2D;"),
            "Seoul talks — 中"
        );
        assert_eq!(clean_title("1 < 2 & 3"), "1 < 2 & 3");
        assert_eq!(clean_title("&bogus; &"), "&bogus; &");
    }

    #[test]
    fn canonical_urls_drop_tracking_only() {
        assert_eq!(
            canonical_url(
                "https://News.example/a?id=7&utm_source=rss&utm_medium=feed&fbclid=XYZ#comments"
            )
            .as_deref(),
            Some("https://news.example/a?id=7")
        );
        assert_eq!(
            canonical_url("https://n.example/a?utm_campaign=x").as_deref(),
            Some("https://n.example/a")
        );
        assert_eq!(canonical_url("mailto:x@y").as_deref(), None);
        assert_eq!(
            story_key(&canonical_url("http://www.n.example/a/").unwrap()),
            story_key(&canonical_url("https://n.example/a?gclid=1").unwrap())
        );
    }

    #[test]
    fn public_id_is_stable_and_distinct_per_feed() {
        let a = public_id("https://a.example/rss", "guid:1");
        assert_eq!(a, public_id("https://a.example/rss", "guid:1"));
        assert_ne!(a, public_id("https://b.example/rss", "guid:1"));
        assert_eq!(a.len(), 32);
    }
}
