//! An item's signature: what is kept of its text to tell later whether
//! another item is a copy of it, in a compact, stable byte encoding.
//!
//! - **Shingles**: every run of about five words (six characters of a
//!   script without spaces) inside a paragraph, hashed. Paragraph order does
//!   not matter, a changed word breaks only the runs through it, and a copy that
//!   is cut or has paragraphs added still contains most of the original's runs.
//! - **Samples** of the shingles, chosen by value (the hashes below 2^(32−level)),
//!   not by position: a text's samples are then among the samples of any
//!   text containing it, so containment is measured without keeping every
//!   shingle. Long texts take a higher level (every 2nd, 4th… shingle) to keep
//!   at most [`MAX_SAMPLES`]; two signatures are compared at the higher level.
//! - **Lead**: the first 96 words (192 characters of CJK) as 16-bit token
//!   codes, for teasers (a title and a first paragraph) whose few shingles the
//!   samples cannot judge alone.
//! - **Title** token codes.

use super::boilerplate;
use super::hash;
use super::tokens::{self, Token};

/// A shingle is the shortest run of tokens weighing at least this much:
/// five words, or six characters of Korean, Chinese, Japanese…
pub(crate) const SHINGLE_WEIGHT: u32 = 5 * tokens::WORD_WEIGHT;
/// The lead holds tokens up to this length (in [`Token::length`] units): 96
/// words, or 192 characters of Korean, Chinese, Japanese…
pub(crate) const LEAD_LENGTH: u32 = 192;
/// Most samples kept; a longer text's samples are thinned by raising the level.
pub const MAX_SAMPLES: usize = 256;
/// Most title tokens kept.
pub(crate) const MAX_TITLE: usize = 32;
/// Lookup keys from the smallest samples (shared by any two texts that share
/// most of their shingles). Each key costs the store a lookup and a row per
/// item; 4 + 2 (down from 8 + 4) kept every dev-set pair and every hand-made
/// case, and cut a cold poll's extra writes by a third.
const BODY_KEYS: usize = 4;
/// Lookup keys from the lead: anchors among its first shingles.
const LEAD_KEYS: usize = 2;
const LEAD_KEY_SPAN: usize = 40;
/// Version of the byte encoding (and of the hashing and tokenising behind it).
const VERSION: u8 = 1;
/// A lead code that separates paragraphs.
pub(crate) const BREAK: u16 = 0;

/// What is kept of an item's text to recognise its copies.
#[derive(Debug, Clone, Default)]
pub struct Signature {
    /// Title token codes.
    pub(crate) title: Vec<u16>,
    /// Lead token codes; [`BREAK`] between paragraphs.
    pub(crate) lead: Vec<u16>,
    /// Whether the lead holds the whole text (a teaser).
    pub(crate) lead_is_all: bool,
    /// Distinct shingles of the whole text.
    pub(crate) shingles: u32,
    /// Samples are the shingle values below 2^(32 − level).
    pub(crate) level: u8,
    /// Sorted, distinct.
    pub(crate) samples: Vec<u32>,
    /// The lead's shingle sets, computed on first comparison (a candidate is
    /// compared with many new items). Not part of the value.
    pub(crate) lead_sets: std::sync::OnceLock<LeadSets>,
}

/// Sorted, distinct shingle hashes of a lead: five-word and three-word runs.
#[derive(Debug, Clone, Default)]
pub(crate) struct LeadSets {
    pub long: Vec<u64>,
    pub short: Vec<u64>,
}

impl PartialEq for Signature {
    fn eq(&self, other: &Signature) -> bool {
        (
            &self.title,
            &self.lead,
            self.lead_is_all,
            self.shingles,
            self.level,
            &self.samples,
        ) == (
            &other.title,
            &other.lead,
            other.lead_is_all,
            other.shingles,
            other.level,
            &other.samples,
        )
    }
}

impl Eq for Signature {}

/// Why stored bytes are not a signature.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Written by another version of tidings; recompute it from the item's text.
    #[error("signature version {0}, expected {VERSION}")]
    Version(u8),
    /// Truncated, too long, or inconsistent.
    #[error("malformed signature ({0})")]
    Malformed(&'static str),
}

impl Signature {
    /// The signature of an item from its plain text (no HTML): title, summary
    /// and full content. The content is the text when it has any; a teaser-only
    /// item (empty content) is its summary.
    pub fn of(title: &str, summary: &str, content: &str) -> Signature {
        let mut scratch = Scratch::default();
        let mut sig = Signature::default();
        for text in [content, summary] {
            sig = body(text, &mut scratch);
            if !sig.lead.is_empty() {
                break;
            }
        }
        scratch.tokens.clear();
        tokens::tokenize(title, &mut scratch.tokens, &mut scratch.chars);
        sig.title = scratch.tokens.iter().take(MAX_TITLE).map(code).collect();
        sig
    }

    /// Whether there is any text to compare (an item without one never joins
    /// a story, and no item joins it).
    pub fn is_empty(&self) -> bool {
        self.lead.is_empty()
    }

    /// A few lookup keys (at most 14): an item that is a copy of a stored one
    /// shares at least one key with it (or with another copy of its story).
    /// The store keeps them per item and finds candidates with
    /// `WHERE key IN (…) AND time >= window_start`. Values fit in an `i64`.
    pub fn keys(&self) -> Vec<u64> {
        let mut keys = Vec::with_capacity(BODY_KEYS + LEAD_KEYS + 2);
        keys.extend(
            self.samples
                .iter()
                .take(BODY_KEYS)
                .map(|&v| key(1, u64::from(v))),
        );
        let mut lead = Vec::new();
        lead_shingles(&self.lead, SHINGLE_WEIGHT, &mut lead);
        lead.truncate(LEAD_KEY_SPAN);
        if let Some(&first) = lead.iter().take(8).min() {
            keys.push(key(2, first));
        }
        keys.extend(
            lead.iter()
                .filter(|&&h| h % 8 == 0)
                .take(LEAD_KEYS)
                .map(|&h| key(2, h)),
        );
        if !self.title.is_empty() {
            keys.push(key(
                3,
                hash::sequence(self.title.iter().map(|&c| u64::from(c))),
            ));
        }
        keys.sort_unstable();
        keys.dedup();
        keys
    }

    /// The stable byte encoding: a 12-byte header, then title and lead codes
    /// (2 bytes each) and samples (4 bytes each), little-endian. About 1 KB for
    /// a long article, 100–300 bytes for a teaser.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            12 + 2 * (self.title.len() + self.lead.len()) + 4 * self.samples.len(),
        );
        out.push(VERSION);
        out.push(self.level);
        out.push(u8::from(self.lead_is_all));
        out.extend(self.shingles.to_le_bytes());
        out.push(self.title.len() as u8);
        out.extend((self.lead.len() as u16).to_le_bytes());
        out.extend((self.samples.len() as u16).to_le_bytes());
        for c in self.title.iter().chain(&self.lead) {
            out.extend(c.to_le_bytes());
        }
        for s in &self.samples {
            out.extend(s.to_le_bytes());
        }
        out
    }

    /// Reads [`Signature::to_bytes`]'s encoding back, checking it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Signature, DecodeError> {
        use DecodeError::Malformed;
        let header = bytes.get(..12).ok_or(Malformed("short header"))?;
        if header[0] != VERSION {
            return Err(DecodeError::Version(header[0]));
        }
        let level = header[1];
        if level > 32 || header[2] > 1 {
            return Err(Malformed("header fields out of range"));
        }
        let shingles = u32::from_le_bytes([header[3], header[4], header[5], header[6]]);
        let title_len = usize::from(header[7]);
        let lead_len = usize::from(u16::from_le_bytes([header[8], header[9]]));
        let samples_len = usize::from(u16::from_le_bytes([header[10], header[11]]));
        if title_len > MAX_TITLE || samples_len > MAX_SAMPLES || samples_len > shingles as usize {
            return Err(Malformed("lengths out of range"));
        }
        if bytes.len() != 12 + 2 * (title_len + lead_len) + 4 * samples_len {
            return Err(Malformed("length does not match the header"));
        }
        let codes: Vec<u16> = bytes[12..12 + 2 * (title_len + lead_len)]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let samples: Vec<u32> = bytes[12 + 2 * (title_len + lead_len)..]
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        let limit = 1u64 << (32 - u32::from(level));
        if samples.windows(2).any(|w| w[0] >= w[1])
            || samples.last().is_some_and(|&s| u64::from(s) >= limit)
        {
            return Err(Malformed("samples not sorted below the level"));
        }
        Ok(Signature {
            title: codes[..title_len].to_vec(),
            lead: codes[title_len..].to_vec(),
            lead_is_all: header[2] == 1,
            shingles,
            level,
            samples,
            lead_sets: Default::default(),
        })
    }

    /// The lead's shingle sets (long runs, and runs of `short_weight`).
    pub(crate) fn lead_sets(&self, short_weight: u32) -> &LeadSets {
        self.lead_sets.get_or_init(|| {
            let set = |weight| {
                let mut v = Vec::new();
                lead_shingles(&self.lead, weight, &mut v);
                v.sort_unstable();
                v.dedup();
                v
            };
            LeadSets {
                long: set(SHINGLE_WEIGHT),
                short: set(short_weight),
            }
        })
    }

    /// The samples at a given (coarser or equal) level: a prefix, as they are sorted.
    pub(crate) fn samples_at(&self, level: u8) -> &[u32] {
        let limit = 1u64 << (32 - u32::from(level.max(self.level)));
        let n = self.samples.partition_point(|&s| u64::from(s) < limit);
        &self.samples[..n]
    }
}

/// Reused buffers for one signature.
#[derive(Default)]
struct Scratch {
    tokens: Vec<Token>,
    shingles: Vec<u32>,
    chars: tokens::CharCache,
}

/// The body part of a signature (everything but the title) from one text.
fn body(text: &str, s: &mut Scratch) -> Signature {
    let mut lead: Vec<u16> = Vec::new();
    let mut lead_length = 0;
    let mut total_length = 0;
    let mut first_line = true;
    s.shingles.clear();
    s.tokens.clear();
    // A paragraph ends at a blank line or a boilerplate line; shingles stay
    // inside paragraphs, so reordered paragraphs keep them.
    let mut lines = text.lines().peekable();
    while lines.peek().is_some() {
        let line = lines.next().unwrap_or_default();
        let kept = !boilerplate::is_boilerplate(line);
        if kept {
            let line = if first_line {
                first_line = false;
                boilerplate::strip_dateline(line)
            } else {
                line
            };
            tokens::tokenize(line, &mut s.tokens, &mut s.chars);
            if lines.peek().is_some() {
                continue;
            }
        }
        if s.tokens.is_empty() {
            continue;
        }
        total_length += s.tokens.iter().map(|t| t.length()).sum::<u32>();
        if lead_length < LEAD_LENGTH {
            if !lead.is_empty() {
                lead.push(BREAK);
            }
            for t in &s.tokens {
                if lead_length >= LEAD_LENGTH {
                    break;
                }
                lead.push(code(t));
                lead_length += t.length();
            }
        }
        shingles(&s.tokens, SHINGLE_WEIGHT, |h| {
            s.shingles.push((h >> 32) as u32)
        });
        s.tokens.clear();
    }
    s.shingles.sort_unstable();
    s.shingles.dedup();
    let mut level = 0u8;
    let mut n = s.shingles.len();
    while n > MAX_SAMPLES {
        level += 1;
        let limit = 1u64 << (32 - u32::from(level));
        n = s.shingles.partition_point(|&v| u64::from(v) < limit);
    }
    Signature {
        title: Vec::new(),
        lead,
        lead_is_all: total_length <= LEAD_LENGTH,
        shingles: s.shingles.len() as u32,
        level,
        samples: s.shingles[..n].to_vec(),
        lead_sets: Default::default(),
    }
}

/// Calls `emit` with the hash of every shingle of one paragraph: for each
/// start, the shortest run weighing at least `min_weight`. A paragraph lighter
/// than that has none (bylines, headings, "Staff Reports").
pub(crate) fn shingles(tokens: &[Token], min_weight: u32, mut emit: impl FnMut(u64)) {
    let mut end = 0;
    let mut weight = 0;
    for start in 0..tokens.len() {
        while end < tokens.len() && weight < min_weight {
            weight += tokens[end].weight();
            end += 1;
        }
        if weight < min_weight {
            break;
        }
        emit(hash::sequence(tokens[start..end].iter().map(|t| t.hash)));
        weight -= tokens[start].weight();
    }
}

/// A token's 16-bit code: 15 bits of its hash and whether it is a character
/// of a script without spaces. Never [`BREAK`].
fn code(t: &Token) -> u16 {
    let bits = ((t.hash >> 49) as u16).max(1);
    bits | (u16::from(t.spaceless) << 15)
}

fn decode(c: u16) -> Token {
    Token {
        hash: u64::from(c),
        spaceless: c & 0x8000 != 0,
    }
}

/// Shingle hashes of lead codes, in text order, within paragraphs.
pub(crate) fn lead_shingles(lead: &[u16], min_weight: u32, out: &mut Vec<u64>) {
    let mut paragraph: Vec<Token> = Vec::new();
    for part in lead.split(|&c| c == BREAK) {
        paragraph.clear();
        paragraph.extend(part.iter().map(|&c| decode(c)));
        shingles(&paragraph, min_weight, |h| out.push(h));
    }
}

/// A lookup key: the kind in the top byte, mixed, below 2^63.
fn key(kind: u64, value: u64) -> u64 {
    hash::mix((kind << 56) ^ value) >> 1
}
