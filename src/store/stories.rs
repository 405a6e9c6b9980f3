//! Stories, the part both engines share: how a new item is placed once its
//! candidates are read (each engine finds them with its own SQL, inside the
//! write that stores the item: see `sqlite::stories` and `postgres::stories`).

use crate::dedup::{self, Signature, Verdict};

/// Candidates judged per new item, at most (the oldest stories first).
pub(crate) const CANDIDATES: usize = dedup::MAX_CANDIDATES;

/// Lookup keys per item, at most (`Signature::keys`); the queries bind this many.
pub(crate) const KEYS: usize = 16;

/// Where a new item goes: the story it joins (`None`: its own) and why.
pub(crate) struct Placement {
    /// The story joined, or `None` for a story of its own.
    pub story: Option<i64>,
    /// The judge's words when it joined one.
    pub reason: Option<String>,
}

impl Placement {
    /// A story of its own.
    pub fn own() -> Placement {
        Placement {
            story: None,
            reason: None,
        }
    }
}

/// A stored item sharing a lookup key with the new one.
pub(crate) struct Candidate {
    /// Its story (`coalesce(story, id)`).
    pub story: i64,
    /// Its public id.
    pub uid: String,
    /// Its feed's display name.
    pub feed: String,
    /// Its signature's bytes.
    pub signature: Vec<u8>,
    /// Its feed's row id.
    pub feed_id: i64,
    /// Its print's time.
    pub time: i64,
}

/// Places a new item of `feed_id` with signature `new` among `found` (the
/// candidates in the order the key lookups returned them, each once):
/// copies from its own feed do not count, the oldest stories are judged
/// first, their newest copy first (as `dedup::judge` wants them).
pub(crate) fn place(new: &Signature, feed_id: i64, found: Vec<Candidate>) -> Placement {
    let mut found: Vec<Candidate> = found.into_iter().filter(|c| c.feed_id != feed_id).collect();
    found.sort_by_key(|c| (c.story, std::cmp::Reverse(c.time)));
    found.truncate(CANDIDATES);
    let mut held: Vec<(i64, String, String)> = Vec::new();
    let mut signatures: Vec<Signature> = Vec::new();
    for c in found {
        // A signature another version wrote is skipped, not trusted.
        if let Ok(sig) = Signature::from_bytes(&c.signature) {
            held.push((c.story, c.uid, c.feed));
            signatures.push(sig);
        }
    }
    let candidates: Vec<(usize, &Signature)> = signatures.iter().enumerate().collect();
    let verdict = dedup::judge(new, &candidates);
    let reason = verdict
        .reasons(|&i| format!("urn:tidings:{} ({})", held[i].1, held[i].2))
        .join("; ");
    match verdict {
        Verdict::Copy { of, .. } => Placement {
            story: Some(held[of].0),
            reason: Some(reason),
        },
        Verdict::New { .. } => Placement::own(),
    }
}
