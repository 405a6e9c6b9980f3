//! The plain data types handed between stages.
//!
//! Each stage takes one of these and returns another; none of them carries a
//! database handle, an HTTP client or a feed-rs type. Where a field comes from a
//! feed document, its doc says which element it is read from in each format.

use chrono::{DateTime, Utc};

/// Validators the server gave us for a feed, sent back on the next poll.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    /// `ETag` response header, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified` response header, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
}

/// What one conditional GET of a feed produced.
#[derive(Debug)]
pub struct FetchOutcome {
    /// Not modified, or a body to parse.
    pub kind: FetchKind,
    /// Set when every redirect on the way was permanent (301/308): the feed's
    /// new address, to poll from now on.
    pub moved_to: Option<url::Url>,
    /// `Cache-Control: max-age` or `Expires`: no poll before this time.
    pub not_before: Option<DateTime<Utc>>,
}

/// The two successful results of a conditional GET.
#[derive(Debug)]
pub enum FetchKind {
    /// 304, or a 200 whose `ETag` equals the one we sent: nothing to parse.
    NotModified {
        /// The HTTP status (304, or 200 for an unchanged ETag).
        status: u16,
    },
    /// A body to parse.
    Fetched(Box<FetchedBody>),
}

/// A fetched document, already decompressed and within the size cap.
#[derive(Debug)]
pub struct FetchedBody {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The raw bytes: feed-rs detects the encoding itself, so nothing is decoded here.
    pub bytes: Vec<u8>,
    /// The URL after redirects.
    pub final_url: url::Url,
    /// What relative links in the document resolve against: `Content-Location`
    /// (resolved against `final_url`) when the server sends one, else `final_url`.
    pub base_url: url::Url,
    /// Validators to store for the next conditional GET.
    pub validators: Validators,
    /// `Content-Type` response header, if any.
    pub content_type: Option<String>,
}

/// A parsed feed document, before normalisation. feed-rs types stop in `parse`.
#[derive(Debug, Clone, Default)]
pub struct ParsedFeed {
    /// RSS `channel/title`, Atom `feed/title`, JSON Feed `title`.
    pub title: Option<String>,
    /// RSS `channel/link`, Atom `link rel="alternate"`, JSON Feed `home_page_url`.
    pub site_link: Option<String>,
    /// RSS `<ttl>` in minutes (a floor on the poll interval).
    pub ttl_minutes: Option<u32>,
    /// Atom `feed/author`: the authors of entries that name none.
    pub authors: Vec<Person>,
    /// What relative URLs in the document resolve against (its URL, or
    /// `Content-Location`).
    pub base: Option<String>,
    /// The entries, in document order.
    pub entries: Vec<ParsedEntry>,
    /// Repairs the lenient parse applied (empty when the document was well-formed).
    pub repairs: Vec<&'static str>,
}

/// How a source wrote a text field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TextKind {
    /// HTML (RSS `description` and `content:encoded`, Atom `type="html"` or
    /// `"xhtml"`, JSON Feed `content_html`).
    #[default]
    Html,
    /// Plain text (Atom `type="text"`, JSON Feed `content_text` and `summary`):
    /// `<` and `&` in it are characters, not markup.
    Text,
}

/// A text field as the source states it, with its kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Body {
    /// The text, XML-decoded (base64 content decoded too).
    pub value: String,
    /// Whether it is HTML or plain text.
    pub kind: TextKind,
}

impl Body {
    /// An HTML body.
    pub fn html(value: impl Into<String>) -> Body {
        Body {
            value: value.into(),
            kind: TextKind::Html,
        }
    }

    /// A plain-text body.
    pub fn text(value: impl Into<String>) -> Body {
        Body {
            value: value.into(),
            kind: TextKind::Text,
        }
    }
}

/// A body ready to store and serve: sanitised HTML and its plain text, computed
/// once by `text::prepare` when the item is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlText {
    /// Sanitised HTML (relative URLs resolved, no script, no tracking pixels).
    pub html: String,
    /// Plain text, paragraphs separated by blank lines.
    pub text: String,
}

/// An author or contributor.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// RSS `author` "email (Name)" / `dc:creator` / `itunes:author`, Atom
    /// `author/name`, JSON Feed `authors[].name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// RSS `author` "email (Name)", Atom `author/email`, JSON Feed `mailto:` url.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Atom `author/uri`, JSON Feed `authors[].url` (http(s) only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uri: Option<String>,
}

impl Person {
    /// What readers show: the name, else the e-mail address.
    pub fn display(&self) -> Option<&str> {
        self.name.as_deref().or(self.email.as_deref())
    }
}

/// One entry as the document states it (text fields trimmed, nothing invented).
#[derive(Debug, Clone, Default)]
pub struct ParsedEntry {
    /// RSS `guid`, Atom `id`, JSON Feed `id`; `None` when the document has none
    /// (feed-rs would invent one; we do not use it).
    pub guid: Option<String>,
    /// RSS `link` (else a permalink `guid`), Atom `link rel="alternate"` (or the
    /// first link), JSON Feed `url` (else `external_url`); absolute (resolved
    /// against `xml:base`, `Content-Location` or the feed URL), as published.
    pub link: Option<String>,
    /// RSS `title` (or `dc:title`), Atom `title`, JSON Feed `title`, with its kind.
    pub title: Option<Body>,
    /// RSS `description` (or `itunes:summary`), Atom `summary`, JSON Feed `summary`.
    pub summary: Option<Body>,
    /// RSS `content:encoded` (or `xhtml:body`, `body`, `fullitem`, a second
    /// `summary`), Atom `content` (base64 decoded), JSON Feed
    /// `content_html`/`content_text`.
    pub content: Option<Body>,
    /// RSS `author`, `dc:creator` (each), `dc:author`, `itunes:author`; Atom
    /// `author` (else the feed's); JSON Feed `authors`/`author` (else the feed's).
    pub authors: Vec<Person>,
    /// RSS `category`, `dc:subject`, `media:category`, `itunes:category@text`;
    /// Atom `category/@term` (else its label); JSON Feed `tags`.
    pub categories: Vec<String>,
    /// RSS `pubDate`/`dc:date`/`dcterms:issued`, Atom `published` (0.3 `issued`),
    /// JSON Feed `date_published`.
    pub published: Option<DateTime<Utc>>,
    /// Atom `updated` (0.3 `modified`), `dcterms:modified`, CDF `LASTMOD`, JSON
    /// Feed `date_modified` (feed-rs copies RSS `pubDate` here too).
    pub updated: Option<DateTime<Utc>>,
    /// RSS `enclosure` (every one), MediaRSS `media:content`, Atom `link
    /// rel="enclosure"`, JSON Feed `attachments`.
    pub enclosures: Vec<Enclosure>,
    /// The base relative URLs in this entry's HTML resolve against when it has
    /// no link: `xml:base`, else `Content-Location`, else the feed URL.
    pub base: Option<String>,
}

/// A media file attached to an item (podcast audio, an image...).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Enclosure {
    /// Absolute URL.
    pub url: String,
    /// MIME type, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Size in bytes, when stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// An item ready to store: our own identity key plus normalised fields.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    /// Our identity key within the feed: `guid:<guid>`, `link:<url>` or
    /// `hash:<sha256 of title+content>` (see `normalize::item_key`).
    pub key: String,
    /// The guid as published, if any.
    pub guid: Option<String>,
    /// Absolute link to the article, if any.
    pub link: Option<String>,
    /// The link with tracking parameters (utm_*, fbclid...) and fragment removed;
    /// the same story from several feeds shares it.
    pub canonical_link: Option<String>,
    /// Plain-text title (entities decoded, whitespace collapsed); may be empty.
    pub title: String,
    /// The summary, sanitised, with its text.
    pub summary: Option<HtmlText>,
    /// The full content, sanitised, with its text.
    pub content: Option<HtmlText>,
    /// The authors.
    pub authors: Vec<Person>,
    /// Authors' names joined with ", " (what filters and explanations read).
    pub author: Option<String>,
    /// Category terms, de-duplicated, in document order.
    pub categories: Vec<String>,
    /// Publication date as stated; `None` when absent or unparseable.
    pub published: Option<DateTime<Utc>>,
    /// Last-update date as stated.
    pub updated: Option<DateTime<Utc>>,
    /// Attached media.
    pub enclosures: Vec<Enclosure>,
    /// SHA-256 (hex) over the fields a reader sees; a change means "edited".
    pub content_hash: String,
    /// What story de-duplication keeps of its text (`None` when it has none).
    pub print: Option<StoryPrint>,
}

/// What story de-duplication keeps of an item's text: its signature in the
/// stable byte encoding and its lookup keys (`dedup::Signature`), computed
/// from the plain text when the item is stored, again when its full text
/// arrives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryPrint {
    /// `dedup::Signature::to_bytes`.
    pub signature: Vec<u8>,
    /// `dedup::Signature::keys`.
    pub keys: Vec<u64>,
}

/// Another copy of the story an output's entry stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copy {
    /// Its article link.
    pub url: String,
    /// Its feed's display name.
    pub feed: String,
    /// Its title.
    pub title: String,
}

/// How a stored feed's items changed in one refresh.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Items seen for the first time.
    pub new: usize,
    /// Items already stored whose content hash changed (updated in place).
    pub updated: usize,
    /// Items already stored and unchanged.
    pub unchanged: usize,
}

/// The result of one feed refresh, as reported by `pipeline::refresh`.
#[derive(Debug, Clone, PartialEq)]
pub enum RefreshResult {
    /// The document was fetched, parsed and stored.
    Stored(StoreCounts),
    /// The server said nothing changed.
    NotModified,
    /// 429 or 503 with Retry-After: not a failure; the next poll waits until then.
    Deferred(String),
    /// 410 Gone: the feed is no longer polled.
    Gone,
    /// Fetch, parse or store failed; nothing of this refresh was written but bookkeeping.
    Failed(String),
    /// Another daemon sharing the database has this feed (PostgreSQL only).
    Elsewhere(Elsewhere),
}

/// Why a daemon sharing a PostgreSQL database did not poll (or store) a feed.
#[derive(Debug, Clone, PartialEq)]
pub enum Elsewhere {
    /// Another daemon is polling it; its lease runs out about then.
    Busy {
        /// When to look again (this machine's clock).
        until: DateTime<Utc>,
    },
    /// Another daemon polled (or claimed) it since this daemon read its state:
    /// the state now, to schedule from.
    Polled(Box<FeedState>),
    /// This daemon's lease ran out mid-poll and another daemon claimed the
    /// feed: this poll's results were refused, the newer poll's stand.
    LeaseLost,
}

impl std::fmt::Display for Elsewhere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Elsewhere::Busy { until } => write!(
                f,
                "another daemon is polling it (lease until {})",
                until.format("%H:%M:%S UTC")
            ),
            Elsewhere::Polled(_) => f.write_str("another daemon polled it"),
            Elsewhere::LeaseLost => {
                f.write_str("lease ran out; another daemon took it over (results dropped)")
            }
        }
    }
}

/// One feed's refresh, for logs and `tidings once`.
#[derive(Debug, Clone)]
pub struct RefreshReport {
    /// The feed's configured URL.
    pub url: String,
    /// The feed's display name (configured name, else the URL).
    pub name: String,
    /// What happened.
    pub result: RefreshResult,
    /// How long the refresh took.
    pub elapsed: std::time::Duration,
    /// No poll before this time (Retry-After, cache headers, `<ttl>`).
    pub not_before: Option<DateTime<Utc>>,
    /// Failures in a row, counting this one (0 after a success): drives back-off.
    pub consecutive_failures: u32,
    /// The database could not take the writes (full disk or size cap,
    /// read-only): the scheduler pauses polling.
    pub storage_unavailable: bool,
}

/// An item as read back for publishing.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    /// Stable public id: hex digest of feed URL + item key (survives restarts and
    /// database rebuilds, identical in every output).
    pub uid: String,
    /// The source feed's display name.
    pub feed_name: String,
    /// The source feed's configured URL.
    pub feed_url: String,
    /// Absolute article link.
    pub link: Option<String>,
    /// Link without tracking parameters (cross-feed duplicate detection).
    pub canonical_link: Option<String>,
    /// Plain-text title.
    pub title: String,
    /// The summary, sanitised, with its text.
    pub summary: Option<HtmlText>,
    /// The content (the extracted article when there is one), sanitised, with its text.
    pub content: Option<HtmlText>,
    /// The authors.
    pub authors: Vec<Person>,
    /// Authors' names joined with ", ".
    pub author: Option<String>,
    /// Category terms.
    pub categories: Vec<String>,
    /// Attached media.
    pub enclosures: Vec<Enclosure>,
    /// When we first stored the item.
    pub first_seen: DateTime<Utc>,
    /// The date shown to subscribers: the stated publication date, unless it lies
    /// in the future relative to when we first saw the item (then first-seen).
    pub date: DateTime<Utc>,
    /// The source's own last-update date, when it states one.
    pub updated: Option<DateTime<Utc>>,
    /// Last time we stored a change to this item.
    pub modified: DateTime<Utc>,
    /// The story it belongs to (the row id of the story's first item); `None`
    /// for an item stored before stories were kept, or without text.
    pub story: Option<i64>,
    /// The other copies of its story in the output it is served in (filled in
    /// by publishing; empty elsewhere).
    pub also: Vec<Copy>,
}

/// Per-feed bookkeeping as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FeedState {
    /// Validators for the next conditional GET.
    pub validators: Validators,
    /// When the feed was last polled (successfully or not).
    pub last_poll: Option<DateTime<Utc>>,
    /// HTTP status of the last poll, if one came back.
    pub last_status: Option<u16>,
    /// The last error, `None` after a success.
    pub last_error: Option<String>,
    /// Failures in a row.
    pub consecutive_failures: u32,
    /// Items stored for this feed.
    pub items: u64,
    /// When the feed last yielded a new item.
    pub last_new_item: Option<DateTime<Utc>>,
    /// Where the feed is polled since a permanent redirect (else the configured URL).
    pub current_url: Option<String>,
    /// No poll before this time (Retry-After, cache headers, `<ttl>`).
    pub not_before: Option<DateTime<Utc>>,
    /// The server answered 410 Gone: polling stopped.
    pub gone: bool,
}
