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
