//! Recovery around feed-rs: reads feeds feed-rs alone rejects, mis-decodes or panics on.
//!
//! Strategy (see [`parse`]):
//! 1. **Limits** — documents over [`Limits::max_bytes`] are refused before any work.
//! 2. **Fast path** — when feed-rs would decode the bytes as we would (same charset) and
//!    a cheap scan ([`scan`]) finds nothing feed-rs silently mishandles (control
//!    characters, HTML or DTD entities, nesting past the limit), feed-rs parses the
//!    original bytes. A result is kept unless it is *suspicious*: fewer entries than the
//!    document has `<item>`/`<entry>` elements.
//! 3. **Repair path** — on failure, a suspicious result, or a document the fast path
//!    could not take: transcode to UTF-8 ([`encoding`]), repair the XML and normalise
//!    the dialect in one pass ([`repair`] with the [`dialect`] hook), parse again. If
//!    feed-rs still rejects one element (an unusual content type, a missing required
//!    text, an unknown enum value) it reports where, and that element alone is dropped
//!    and the parse retried (a few times at most). The better of the fast and repaired
//!    results wins (more entries; the untouched parse on a tie).
//!
//! feed-rs runs under `catch_unwind`, as does the repair path: no input makes
//! [`parse`] panic. Entity expansion is budgeted (no billion laughs), external
//! entities are never fetched (no XXE), nesting is capped with an explicit stack.

mod dialect;
mod encoding;
mod repair;
mod scan;
mod text;

use std::panic::{AssertUnwindSafe, catch_unwind};

use feed_rs::model::Feed;
use feed_rs::parser::{ParseErrorKind, ParseFeedError};

/// True for the five entities XML predefines (the rest come from the HTML table,
/// `text::named_entity`).
fn is_predefined(name: &str) -> bool {
    matches!(name, "amp" | "lt" | "gt" | "quot" | "apos")
}

/// Bounds on the work one document may cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest document accepted, in bytes (checked before anything else).
    pub max_bytes: usize,
    /// Deepest element nesting accepted (the root is depth 1).
    pub max_depth: usize,
    /// Most entries returned; further entries are dropped (documents list newest first).
    pub max_items: usize,
}

impl Default for Limits {
    /// 64 MiB, depth 256, 100 000 entries.
    fn default() -> Self {
        Limits {
            max_bytes: 64 << 20,
            max_depth: 256,
            max_items: 100_000,
        }
    }
}

/// Why a document could not be read as a feed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoverError {
    /// The document is larger than [`Limits::max_bytes`].
    #[error("document larger than the size limit")]
    TooLarge,
    /// Elements nest deeper than [`Limits::max_depth`].
    #[error("document nested deeper than the depth limit")]
    TooDeep,
    /// The document is readable but is not a feed (empty, HTML page, OPML...); the
    /// text says what was found.
    #[error("not a feed: {0}")]
    NotAFeed(String),
    /// feed-rs rejected the document even after all repairs (or the repairs refused
    /// it, e.g. entity expansion over budget); the text is the last error.
    #[error("unreadable feed: {0}")]
    Parser(String),
}

/// What [`parse`] read.
#[derive(Debug)]
pub struct Recovered {
    /// feed-rs's reading.
    pub feed: Feed,
    /// The repairs applied (for logs); empty when feed-rs read the original bytes.
    pub repairs: Vec<&'static str>,
    /// The repaired document feed-rs read, when it did not read the original
    /// bytes (see [`document_text`] for those).
    pub repaired: Option<String>,
}

/// The original bytes as UTF-8 text, decoded as [`parse`] would (borrowed when
/// they are UTF-8 already).
pub fn document_text<'a>(bytes: &'a [u8], content_type: Option<&str>) -> std::borrow::Cow<'a, str> {
    let det = encoding::detect(bytes, content_type);
    let body = &bytes[det.bom_len..];
    if det.charset == encoding::Charset::Enc(encoding_rs::UTF_8)
        && let Ok(s) = std::str::from_utf8(body)
    {
        return std::borrow::Cow::Borrowed(s);
    }
    std::borrow::Cow::Owned(encoding::decode(bytes, &det, &mut Vec::new()))
}

/// Parses with feed-rs, repairing the document when the plain parse fails. Returns the
/// feed-rs Feed plus a list of the repairs applied (for logs), never panics
/// (catch_unwind around feed-rs).
///
/// `bytes` is the raw body (any encoding), `base` the feed URL (resolves relative
/// links, as in tidings' plain parse, and entry ids are left empty when the document
/// has none), `content_type` the HTTP `Content-Type` header if known (its charset
/// takes precedence over the XML declaration). The repair list is empty when feed-rs
/// read the original bytes unaided.
pub fn parse(
    bytes: &[u8],
    base: &url::Url,
    content_type: Option<&str>,
    limits: &Limits,
) -> Result<Recovered, RecoverError> {
    if bytes.len() > limits.max_bytes {
        return Err(RecoverError::TooLarge);
    }
    let det = encoding::detect(bytes, content_type);
    let body = &bytes[det.bom_len..];
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    if first.is_none() {
        return Err(RecoverError::NotAFeed("empty document".into()));
    }
    if !det.is_wide() && first == Some(b'{') {
        // JSON Feed: nothing to repair at the XML level.
        return match run(body, base) {
            Ok(feed) => Ok(cap(feed, limits, Vec::new(), None)),
            Err(e) => Err(RecoverError::Parser(e.to_string())),
        };
    }

    let mut fast: Option<Feed> = None;
    if det.feed_rs_agrees() {
        let sc = scan::scan(bytes, limits.max_depth);
        if !sc.too_deep && !sc.needs_repair {
            match run(bytes, base) {
                Ok(feed) if feed.entries.len() >= sc.items => {
                    return Ok(cap(feed, limits, Vec::new(), None));
                }
                Ok(feed) => fast = Some(feed),
                Err(_) => {}
            }
        }
    }

    let repaired = catch_unwind(AssertUnwindSafe(|| {
        repair_and_parse(bytes, &det, base, limits)
    }))
    .unwrap_or_else(|_| Err(RecoverError::Parser("internal error during repair".into())));
    match (repaired, fast) {
        (Ok((feed, _, _)), Some(f)) if f.entries.len() >= feed.entries.len() => {
            Ok(cap(f, limits, Vec::new(), None))
        }
        (Ok((feed, repairs, doc)), _) => Ok(cap(feed, limits, repairs, Some(doc))),
        (Err(RecoverError::TooDeep), _) => Err(RecoverError::TooDeep),
        (Err(_), Some(f)) => Ok(cap(f, limits, Vec::new(), None)),
        (Err(e), None) => Err(e),
    }
}

/// The repair path: decode, repair + normalise, parse; drop elements feed-rs rejects.
fn repair_and_parse(
    bytes: &[u8],
    det: &encoding::Detected,
    base: &url::Url,
    limits: &Limits,
) -> Result<(Feed, Vec<&'static str>, String), RecoverError> {
    let mut repairs = Vec::new();
    let text = encoding::decode(bytes, det, &mut repairs);
    let mut hook = dialect::Normaliser::new(&text, base.as_str());
    let mut doc = match repair::repair(&text, limits.max_depth, &mut hook, &mut repairs) {
        Ok(doc) => doc,
        Err(repair::RepairError::TooDeep) => return Err(RecoverError::TooDeep),
        Err(repair::RepairError::EntityLimit) => {
            return Err(RecoverError::Parser(
                "entity expansion over budget (refused)".into(),
            ));
        }
        Err(repair::RepairError::NoRoot) => {
            return Err(RecoverError::NotAFeed("no XML element".into()));
        }
    };
    drop(text);
    let mut last = String::new();
    for _ in 0..8 {
        match run(doc.as_bytes(), base) {
            Ok(feed) => return Ok((feed, repairs, doc)),
            Err(Failure::Feed(ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot))) => {
                return Err(RecoverError::NotAFeed(format!(
                    "root element <{}>",
                    root_name(&doc)
                )));
            }
            Err(Failure::Feed(ParseFeedError::ParseError(
                ParseErrorKind::UnknownMimeType { position, .. }
                | ParseErrorKind::MissingContent { position, .. }
                | ParseErrorKind::UnknownEnumVariant { position, .. }
                | ParseErrorKind::IllegalState { position, .. },
            ))) => match repair::drop_element_at(&doc, position as usize) {
                Some(d) if d.len() < doc.len() => {
                    doc = d;
                    if !repairs.contains(&"dropped an element feed-rs rejects") {
                        repairs.push("dropped an element feed-rs rejects");
                    }
                }
                _ => {
                    return Err(RecoverError::Parser(format!(
                        "element at byte {position} rejected"
                    )));
                }
            },
            Err(e) => return Err(RecoverError::Parser(e.to_string())),
        }
        last = "feed-rs kept rejecting elements".into();
    }
    Err(RecoverError::Parser(last))
}

/// Applies the item cap.
fn cap(
    mut feed: Feed,
    limits: &Limits,
    mut repairs: Vec<&'static str>,
    repaired: Option<String>,
) -> Recovered {
    if feed.entries.len() > limits.max_items {
        feed.entries.truncate(limits.max_items);
        repairs.push("kept only the first max_items entries");
    }
    Recovered {
        feed,
        repairs,
        repaired,
    }
}

/// The name of the first element of a repaired document.
fn root_name(doc: &str) -> String {
    let body = doc.split_once("?>").map_or(doc, |(_, rest)| rest);
    body.split_once('<')
        .map(|(_, r)| {
            r.split(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .next()
                .unwrap_or("")
        })
        .unwrap_or("")
        .chars()
        .take(64)
        .collect()
}

/// A feed-rs failure: its error, or a caught panic.
enum Failure {
    Feed(ParseFeedError),
    Panic(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Feed(e) => write!(f, "{e}"),
            Failure::Panic(p) => write!(f, "feed-rs panicked: {p}"),
        }
    }
}

/// feed-rs exactly as tidings calls it, under `catch_unwind`.
fn run(bytes: &[u8], base: &url::Url) -> Result<Feed, Failure> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        .id_generator(|_, _, _| String::new())
        .timestamp_parser(timestamp)
        .build();
    match catch_unwind(AssertUnwindSafe(|| parser.parse(bytes))) {
        Ok(Ok(feed)) => Ok(feed),
        Ok(Err(e)) => Err(Failure::Feed(e)),
        Err(p) => Err(Failure::Panic(
            p.downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into()),
        )),
    }
}

/// A date as feed-rs reads it, the strict forms first. feed-rs's own reader
/// tries RFC 3339 and then RFC 2822 after regex fixes for what feeds get wrong
/// (eight replacements, each a new string, per date: 2% of a cold poll's CPU).
/// Those fixes leave the instant of a date that is already valid unchanged, so
/// a date chrono reads strictly reads the same; any other goes to feed-rs's own
/// lenient reading.
pub fn timestamp(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let t = s.trim();
    chrono::DateTime::parse_from_rfc3339(t)
        .or_else(|_| chrono::DateTime::parse_from_rfc2822(t))
        .map(|d| d.with_timezone(&chrono::Utc))
        .ok()
        .or_else(|| lenient_timestamp(t))
}

/// feed-rs's lenient date reading (not public in feed-rs): the date as the one
/// `pubDate` of an RSS document, parsed with feed-rs's default settings.
pub fn lenient_timestamp(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let mut doc = String::with_capacity(s.len() + 80);
    doc.push_str("<rss version=\"2.0\"><channel><item><pubDate>");
    for c in s.chars() {
        match c {
            '&' => doc.push_str("&amp;"),
            '<' => doc.push_str("&lt;"),
            '>' => doc.push_str("&gt;"),
            c => doc.push(c),
        }
    }
    doc.push_str("</pubDate></item></channel></rss>");
    let feed = catch_unwind(|| feed_rs::parser::parse(doc.as_bytes()))
        .ok()?
        .ok()?;
    feed.entries.first()?.published
}

#[cfg(test)]
mod tests;
