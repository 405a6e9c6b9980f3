//! The decision: is a new item a copy of one of the candidates, and why.
//!
//! Two texts are one story when one of them is mostly made of the other's
//! runs of words:
//! - **Text**: at least half of the shorter text's shingles are in the other
//!   (cut copies, added paragraphs, boilerplate, a rewritten dateline, a few
//!   changed words, reordered paragraphs all keep most of them). Independently
//!   written reports of one event share names and a quote or two, a few percent
//!   of their runs. When the shorter text is under a quarter of the other's
//!   size, its lead must also be the other's lead, so that a digest or a live
//!   page quoting many stories does not swallow them.
//! - **Lead**, for teasers (a title and a first paragraph only, or any text
//!   that fits in the lead): a teaser is the start of its story, so its lead
//!   is the other's lead — 80 % of its shingles there, and at least 12 of
//!   them (about 16 words in a row); or the titles agree and most of the lead's
//!   three-word runs are the other's; or the teaser is nothing but the other's
//!   exact title and first paragraph. A short, generic lead ("Staff Reports")
//!   is never enough alone.

use std::fmt;

use super::signature::{self, Signature};
use super::tokens;

/// Share of the shorter text's sampled shingles the other must contain.
pub const TEXT_SHARED: f32 = 0.5;
/// Fewest sampled shingles of the shorter text for the text rule; below, the
/// lead decides.
const MIN_SAMPLES: usize = 10;
/// Below this size ratio (shorter/longer), the text rule also needs the leads to agree.
const MIN_RATIO: f32 = 0.25;
/// Lead agreement a much shorter text needs for the text rule.
const LEAD_FOR_SHORT: f32 = 0.5;
/// Share of a teaser's lead shingles that must be in the other lead.
pub const LEAD_SHARED: f32 = 0.8;
/// And how many at least.
const LEAD_MIN: usize = 12;
/// With agreeing titles: share of the lead's three-word runs in the other lead.
const TITLED_LEAD_SHARED: f32 = 0.6;
const TITLED_LEAD_MIN: usize = 4;
/// Titles agree when this share of their tokens is common…
const TITLE_AGREE: f32 = 0.6;
/// …and each weighs at least four words (five characters of CJK).
const TITLE_MIN_WEIGHT: u32 = 4 * tokens::WORD_WEIGHT;
/// Three words, or four characters of CJK.
const SHORT_SHINGLE_WEIGHT: u32 = 3 * tokens::WORD_WEIGHT;

/// How two texts compared.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Evidence {
    /// Which measure.
    pub kind: Kind,
    /// The share found (0–1).
    pub shared: f32,
    /// Out of how many shingles (sampled ones for [`Kind::Text`]).
    pub of: usize,
}

/// The measure behind an [`Evidence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Shingles of the shorter whole text found in the other.
    Text,
    /// Shingles of the shorter lead found in the other lead.
    Lead,
    /// Agreeing titles, and three-word runs of the shorter lead in the other.
    TitleAndLead,
    /// A teaser that is exactly the other's title and first paragraph.
    Identical,
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::Text => write!(
                f,
                "{:.2} of its shingles shared ({} sampled)",
                self.shared, self.of
            ),
            Kind::Lead => write!(
                f,
                "{:.2} of its lead's {} shingles shared (a teaser of the same lead)",
                self.shared, self.of
            ),
            Kind::TitleAndLead => write!(
                f,
                "same title, {:.2} of its lead's {} three-word runs shared",
                self.shared, self.of
            ),
            Kind::Identical => write!(
                f,
                "a teaser made of the same title and first paragraph ({} words)",
                self.of
            ),
        }
    }
}

/// The decision about a new item.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict<I> {
    /// A copy of `of`'s story.
    Copy {
        /// The candidate it matched best.
        of: I,
        /// Why.
        evidence: Evidence,
    },
    /// A story of its own.
    New {
        /// The candidate that came closest, and how close, if any was compared.
        closest: Option<(I, Evidence)>,
    },
}

impl<I> Verdict<I> {
    /// Reasons in words; `name` describes a candidate (e.g. `"<id> (<feed>)"`).
    pub fn reasons(&self, name: impl Fn(&I) -> String) -> Vec<String> {
        match self {
            Verdict::Copy { of, evidence } => {
                vec![format!("same story as {}: {evidence}", name(of))]
            }
            Verdict::New { closest: None } => Vec::new(),
            Verdict::New {
                closest: Some((of, evidence)),
            } => vec![format!(
                "new story; closest was {}: {evidence}, not enough",
                name(of)
            )],
        }
    }
}

/// The candidate whose story `new` joins, or none: the first candidate, in
/// the order given, that `new` is a copy of. Give them oldest story first: an
/// item that matches two stories bridges what is one story split earlier (a
/// teaser that matched nothing, then its full text), and joining the older
/// keeps the copies that follow together.
pub fn judge<I: Clone>(new: &Signature, candidates: &[(I, &Signature)]) -> Verdict<I> {
    if new.is_empty() {
        return Verdict::New { closest: None };
    }
    let new = Prepared::of(new);
    let mut closest: Option<(I, Evidence)> = None;
    for (id, sig) in candidates {
        if sig.is_empty() {
            continue;
        }
        match compare(&new, &Prepared::of(sig)) {
            (Some(evidence), _) => {
                return Verdict::Copy {
                    of: id.clone(),
                    evidence,
                };
            }
            (None, near) => {
                if closest.as_ref().is_none_or(|(_, c)| near.shared > c.shared) {
                    closest = Some((id.clone(), near));
                }
            }
        }
    }
    Verdict::New { closest }
}

/// A signature with its lead shingle sets.
struct Prepared<'a> {
    sig: &'a Signature,
    lead: &'a [u64],
    lead_short: &'a [u64],
}

impl<'a> Prepared<'a> {
    fn of(sig: &'a Signature) -> Prepared<'a> {
        let sets = sig.lead_sets(SHORT_SHINGLE_WEIGHT);
        Prepared {
            sig,
            lead: &sets.long,
            lead_short: &sets.short,
        }
    }
}

/// The evidence if `a` and `b` are one story, and else the nearest measure.
fn compare(a: &Prepared, b: &Prepared) -> (Option<Evidence>, Evidence) {
    let (short, long) = if a.sig.shingles <= b.sig.shingles {
        (a, b)
    } else {
        (b, a)
    };
    let level = a.sig.level.max(b.sig.level);
    let (s, l) = (short.sig.samples_at(level), long.sig.samples_at(level));
    let text = Evidence {
        kind: Kind::Text,
        shared: ratio(common(s, l), s.len()),
        of: s.len(),
    };
    let (c, n) = contained(a.lead, b.lead);
    let lead = Evidence {
        kind: Kind::Lead,
        shared: ratio(c, n),
        of: n,
    };
    let size = ratio(short.sig.shingles as usize, long.sig.shingles as usize);
    // A teaser's text is its lead: only the lead rules below judge it.
    let teaser = a.sig.lead_is_all || b.sig.lead_is_all || s.len() < MIN_SAMPLES;
    if !teaser && text.shared >= TEXT_SHARED && (size >= MIN_RATIO || lead.shared >= LEAD_FOR_SHORT)
    {
        return (Some(text), text);
    }
    if teaser {
        if lead.shared >= LEAD_SHARED && c >= LEAD_MIN {
            return (Some(lead), lead);
        }
        let (c3, n3) = contained(a.lead_short, b.lead_short);
        let titled = Evidence {
            kind: Kind::TitleAndLead,
            shared: ratio(c3, n3),
            of: n3,
        };
        if titles_agree(a.sig, b.sig)
            && titled.shared >= TITLED_LEAD_SHARED
            && c3 >= TITLED_LEAD_MIN
        {
            return (Some(titled), titled);
        }
        if let Some(words) =
            identical_teaser(a.sig, b.sig).or_else(|| identical_teaser(b.sig, a.sig))
        {
            let e = Evidence {
                kind: Kind::Identical,
                shared: 1.0,
                of: words,
            };
            return (Some(e), e);
        }
    }
    let near = if !teaser && text.shared >= lead.shared {
        text
    } else {
        lead
    };
    (None, near)
}

/// Fewest tokens in each of the title and the text of an [`Kind::Identical`]
/// teaser ("Letters" / "To the editor:" is not enough).
const IDENTICAL_MIN_TOKENS: usize = 2;

/// When `teaser` is one paragraph that is exactly `other`'s first paragraph,
/// under exactly `other`'s title: its token count.
fn identical_teaser(teaser: &Signature, other: &Signature) -> Option<usize> {
    let first = other.lead.split(|&c| c == signature::BREAK).next()?;
    let same = teaser.lead_is_all
        && teaser.title.len() >= IDENTICAL_MIN_TOKENS
        && teaser.lead.len() >= IDENTICAL_MIN_TOKENS
        && teaser.title == other.title
        && teaser.lead == first
        && teaser.title.len() < signature::MAX_TITLE;
    same.then_some(teaser.title.len() + teaser.lead.len())
}

fn titles_agree(a: &Signature, b: &Signature) -> bool {
    let weight = |t: &[u16]| -> u32 {
        t.iter()
            .map(|&c| {
                if c & 0x8000 != 0 {
                    tokens::CHAR_WEIGHT
                } else {
                    tokens::WORD_WEIGHT
                }
            })
            .sum()
    };
    if weight(&a.title) < TITLE_MIN_WEIGHT || weight(&b.title) < TITLE_MIN_WEIGHT {
        return false;
    }
    let mut x = a.title.clone();
    let mut y = b.title.clone();
    x.sort_unstable();
    x.dedup();
    y.sort_unstable();
    y.dedup();
    let both = common(&x, &y);
    ratio(both, x.len() + y.len() - both) >= TITLE_AGREE
}

/// How many elements of the smaller sorted set are in the other, and its size.
fn contained(a: &[u64], b: &[u64]) -> (usize, usize) {
    let (small, large) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    (common(small, large), small.len())
}

/// Size of the intersection of two sorted, distinct slices.
fn common<T: Ord>(a: &[T], b: &[T]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

fn ratio(part: usize, whole: usize) -> f32 {
    if whole == 0 {
        0.0
    } else {
        part as f32 / whole as f32
    }
}
