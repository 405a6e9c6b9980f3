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
    Fetched(FetchedBody),
}

/// A fetched document, already decompressed and within the size cap.
#[derive(Debug)]
pub struct FetchedBody {
    /// The HTTP status (2xx).
    pub status: u16,
    /// The raw bytes: feed-rs detects the encoding itself, so nothing is decoded here.
    pub bytes: Vec<u8>,
    /// The URL after redirects; relative links in the document resolve against it.
    pub final_url: url::Url,
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
    /// The entries, in document order.
    pub entries: Vec<ParsedEntry>,
    /// Repairs the lenient parse applied (empty when the document was well-formed).
    pub repairs: Vec<&'static str>,
}

/// One entry as the document states it (text fields trimmed, nothing invented).
#[derive(Debug, Clone, Default)]
pub struct ParsedEntry {
    /// RSS `guid`, Atom `id`, JSON Feed `id`; `None` when the document has none
    /// (feed-rs would invent one; we do not use it).
    pub guid: Option<String>,
    /// RSS `link`, Atom `link rel="alternate"` (or the first link), JSON Feed `url`;
    /// absolute (resolved against the feed URL / `xml:base`).
    pub link: Option<String>,
    /// RSS `title`, Atom `title`, JSON Feed `title`; as HTML-escaped-free text.
    pub title: Option<String>,
    /// RSS `description`, Atom `summary`, JSON Feed `summary`; HTML as published.
    pub summary: Option<String>,
    /// RSS `content:encoded`, Atom `content`, JSON Feed `content_html`/`content_text`.
    pub content: Option<String>,
    /// RSS `author`/`dc:creator`, Atom `author/name`, JSON Feed `authors[].name`.
    pub authors: Vec<String>,
    /// RSS `category`, Atom `category/@term` (or label), JSON Feed `tags`.
    pub categories: Vec<String>,
    /// RSS `pubDate`/`dc:date`, Atom `published`, JSON Feed `date_published`.
    pub published: Option<DateTime<Utc>>,
    /// Atom `updated`, JSON Feed `date_modified` (feed-rs copies RSS `pubDate` here too).
    pub updated: Option<DateTime<Utc>>,
    /// RSS `enclosure`, MediaRSS `media:content`, Atom `link rel="enclosure"`,
    /// JSON Feed `attachments`.
    pub enclosures: Vec<Enclosure>,
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
    /// Summary HTML as published (sanitised on output).
    pub summary: Option<String>,
    /// Full content HTML as published (sanitised on output).
    pub content: Option<String>,
    /// Authors joined with ", ".
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
    /// Summary HTML as published.
    pub summary: Option<String>,
    /// Content HTML as published.
    pub content: Option<String>,
    /// Authors.
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
    /// Last time we stored a change to this item.
    pub modified: DateTime<Utc>,
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
