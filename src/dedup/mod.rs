//! Story de-duplication: whether a new item is a copy of a story already seen
//! — the same wire report under another headline and URL, cut, with local
//! paragraphs or page boilerplate around it, the dateline rewritten, a few
//! words changed, paragraphs reordered, or only its first paragraph (a teaser),
//! in any language, Korean, Japanese and Chinese included. Independently
//! written reports of the same event are different stories.
//!
//! This module owns, as pure functions over plain text (no HTML, no storage,
//! no I/O, no clock):
//! - [`Signature`]: what is kept of an item's text, its stable byte encoding
//!   ([`Signature::to_bytes`]) and its lookup keys ([`Signature::keys`]);
//! - [`judge`]: the decision against candidates, with its [`Evidence`] in words;
//! - [`entry`]: which copy stands for a story (`prefer`);
//! - [`item_time`]: the time that places an item in the window;
//! - [`Index`]: an in-memory lookup doing what the store does with its key
//!   table (used by `tidings dedup` and tests).
//!
//! Items of one feed are never copies of each other: a feed's items are
//! distinct by its own identity (two guids), and its templates (a daily
//! briefing; "Shared guid, first story" and "…, second story") look alike on
//! purpose. Copies come from other sources: callers leave a new item's own
//! feed out of its candidates.
//!
//! It does not own where signatures and keys are stored (`store`), which
//! outputs collapse copies (`config`, `publish`), or turning HTML into text.
//!
//! How it decides is explained in `judge`'s module documentation; what the
//! signature holds, in `signature`'s.

mod boilerplate;
mod hash;
mod index;
mod judge;
mod signature;
mod tokens;

pub use index::{Entry, Index, MAX_CANDIDATES};
pub use judge::{Evidence, Kind, LEAD_SHARED, TEXT_SHARED, Verdict, judge};
pub use signature::{DecodeError, MAX_SAMPLES, Signature};

use chrono::{DateTime, Utc};

/// How long after the window an item's print is kept: items dated a little
/// later than they arrive (time zones, clocks) can still meet it.
pub const PRINT_MARGIN_SECS: i64 = 86_400;

/// Whether an item of `time` gets a print at all when it arrives at `now`:
/// not when it is already older than the window and its margin — no item
/// arriving from now on could be compared with it (a feed's backlog of old
/// items, a new feed's archive), and its print would only be forgotten at
/// the next expiry.
pub fn printable(time: DateTime<Utc>, now: DateTime<Utc>, window_secs: i64) -> bool {
    time.timestamp() >= now.timestamp() - window_secs - PRINT_MARGIN_SECS
}

/// Default window: a new item is compared with items up to three days older.
/// Wire copies appear within hours to a day and a half; three days also covers
/// a Friday story republished on Monday, while the cost (keys held, candidates
/// per lookup) stays proportional to three days of items.
pub const DEFAULT_WINDOW_HOURS: u32 = 72;

/// The time that places an item in the window: its publication time, but
/// never later than when it arrived (a future date would keep it comparable
/// for too long); its arrival when it has none.
pub fn item_time(published: Option<DateTime<Utc>>, arrived: DateTime<Utc>) -> DateTime<Utc> {
    published.map_or(arrived, |p| p.min(arrived))
}

/// What the store keeps of an item's plain text (title, summary, content):
/// its signature's bytes and lookup keys; `None` when there is no text to
/// compare (such an item is a story of its own).
pub fn print(title: &str, summary: &str, content: &str) -> Option<crate::model::StoryPrint> {
    let signature = Signature::of(title, summary, content);
    if signature.is_empty() {
        return None;
    }
    Some(crate::model::StoryPrint {
        keys: signature.keys(),
        signature: signature.to_bytes(),
    })
}

/// Which of a story's copies stands for it: the copy from the feed listed
/// first in `prefer` (feed names), else the first copy. `copies` gives each
/// copy's feed name, in arrival order; returns its index (0 when empty).
pub fn entry<'a>(prefer: &[String], copies: impl IntoIterator<Item = &'a str>) -> usize {
    let mut best: Option<(usize, usize)> = None; // (rank, index)
    for (i, feed) in copies.into_iter().enumerate() {
        if let Some(rank) = prefer.iter().position(|p| p == feed)
            && best.is_none_or(|(r, _)| rank < r)
        {
            best = Some((rank, i));
        }
    }
    best.map_or(0, |(_, i)| i)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_cjk;
