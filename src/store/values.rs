//! How the model's values are stored, the same in every engine: times as unix
//! seconds, lists as JSON text, bodies as sanitised HTML plus their text. An
//! engine reads its rows through [`Row`], so an item is built in one place.

use chrono::{DateTime, TimeZone, Utc};

use crate::model::{Body, HtmlText, Person, StoredItem};

/// Unix seconds, as times are stored.
pub fn unix(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

/// A stored time.
pub fn from_unix(s: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(s, 0).single().unwrap_or_default()
}

/// Stated dates in the future (bad clocks, scheduled posts) would pin an item to
/// the top of every output: the shown date is never later than when we first saw it.
pub fn sort_time(published: Option<DateTime<Utc>>, first_seen: i64) -> i64 {
    published.map_or(first_seen, |p| unix(p).min(first_seen))
}

/// The columns of one result row, read by position.
pub trait Row {
    /// The engine's error.
    type Error;
    /// A text column that may be NULL.
    fn text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    /// An integer column that may be NULL.
    fn int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
}

impl Row for rusqlite::Row<'_> {
    type Error = rusqlite::Error;
    fn text(&self, i: usize) -> rusqlite::Result<Option<String>> {
        self.get(i)
    }
    fn int(&self, i: usize) -> rusqlite::Result<Option<i64>> {
        self.get(i)
    }
}

/// A stored item from the columns of `ITEM_COLUMNS` (both engines select the
/// same list), starting at column `at`.
pub fn stored_item<R: Row>(r: &R, at: usize) -> Result<StoredItem, R::Error> {
    let link = r.text(at + 3)?;
    let summary = prepared_or_legacy(r.text(at + 5)?, r.text(at + 6)?, link.as_deref());
    let content = prepared_or_legacy(r.text(at + 7)?, r.text(at + 8)?, link.as_deref());
    let author = r.text(at + 9)?;
    let authors = r.text(at + 10)?.unwrap_or_default();
    let mut authors: Vec<Person> = serde_json::from_str(&authors).unwrap_or_default();
    if authors.is_empty()
        && let Some(a) = &author
    {
        // Stored before authors were kept whole: the names line is all there is.
        authors.push(Person {
            name: Some(a.clone()),
            ..Person::default()
        });
    }
    let categories = r.text(at + 11)?.unwrap_or_default();
    let enclosures = r.text(at + 16)?.unwrap_or_default();
    Ok(StoredItem {
        uid: r.text(at)?.unwrap_or_default(),
        feed_name: r.text(at + 1)?.unwrap_or_default(),
        feed_url: r.text(at + 2)?.unwrap_or_default(),
        link,
        title: r.text(at + 4)?.unwrap_or_default(),
        summary,
        content,
        author,
        authors,
        categories: serde_json::from_str(&categories).unwrap_or_default(),
        date: from_unix(r.int(at + 12)?.unwrap_or_default()),
        updated: r.int(at + 13)?.map(from_unix),
        modified: from_unix(r.int(at + 14)?.unwrap_or_default()),
        canonical_link: r.text(at + 15)?,
        enclosures: serde_json::from_str(&enclosures).unwrap_or_default(),
        first_seen: from_unix(r.int(at + 17)?.unwrap_or_default()),
        story: r.int(at + 18)?,
        also: Vec::new(),
    })
}

/// (id, link, summary, content) of a row whose text is missing, as both
/// engines' `backfill_text` read it (a body whose text is kept reads NULL).
pub type Legacy = (i64, Option<String>, Option<String>, Option<String>);

/// Prepares the bodies of rows read for `backfill_text`: (id, summary, content).
pub fn prepare_legacy(rows: Vec<Legacy>) -> Vec<(i64, Option<HtmlText>, Option<HtmlText>)> {
    rows.into_iter()
        .map(|(id, link, summary, content)| {
            let link = link.as_deref();
            (
                id,
                prepared_or_legacy(summary, None, link),
                prepared_or_legacy(content, None, link),
            )
        })
        .collect()
}

/// A body as its two columns, HTML and text, as both engines write it. When
/// the HTML is the text itself (a plain summary: no tag, no reference) the
/// HTML column is NULL and [`prepared_or_legacy`] reads the text for both, so
/// those bytes are not written twice (a tenth of a database of short plain
/// summaries). A row written before this (both set) reads the same.
pub fn stored_body(body: &Option<HtmlText>) -> [Option<&str>; 2] {
    match body {
        None => [None, None],
        Some(p) if p.html == p.text && !p.text.contains(['<', '&']) => [None, Some(&p.text)],
        Some(p) => [Some(&p.html), Some(&p.text)],
    }
}

/// A stored body: prepared at ingest (HTML and text, or the text alone when
/// it is its own HTML: see [`stored_body`]), or, for a row stored before
/// bodies were prepared (text NULL), the HTML as published, prepared now.
pub fn prepared_or_legacy(
    html: Option<String>,
    text: Option<String>,
    link: Option<&str>,
) -> Option<HtmlText> {
    match (html, text) {
        (Some(html), Some(text)) => Some(HtmlText { html, text }),
        (Some(raw), None) => {
            let base = link.and_then(|l| url::Url::parse(l).ok());
            let prepared = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                crate::text::prepare(&Body::html(raw.as_str()), base.as_ref())
            }));
            // A bug in preparing one stored row must not stop a start-up or a
            // render: the row is served as plain text instead.
            Some(prepared.unwrap_or_else(|_| {
                tracing::error!(
                    link,
                    "preparing a stored body panicked (a bug; please report it)"
                );
                crate::text::prepare(&Body::text(crate::text::squash(&raw)), None)
            }))
        }
        (None, Some(text)) => Some(HtmlText {
            html: text.clone(),
            text,
        }),
        (None, None) => None,
    }
}
