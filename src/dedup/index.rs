//! An in-memory candidate index for `tidings dedup` and tests: per lookup key
//! the newest [`MAX_CANDIDATES`] items holding it, as the SQLite store keeps
//! them (`store::sqlite::stories::KeyIndex`), filtered by time on lookup.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasherDefault, Hasher};

use chrono::{DateTime, Utc};

use super::Signature;

/// Most candidates one lookup returns (the newest), and most taken per key:
/// a key shared by very many items (a generic title) cannot make a lookup slow.
pub const MAX_CANDIDATES: usize = 64;

/// One indexed item.
#[derive(Debug)]
pub struct Entry<T> {
    /// Its dedup time (see [`super::item_time`]).
    pub time: DateTime<Utc>,
    /// Its signature.
    pub signature: Signature,
    /// Its lookup keys.
    keys: Vec<u64>,
    /// The caller's data (id, story…).
    pub value: T,
}

/// Items of the last windows, findable by key.
#[derive(Debug)]
pub struct Index<T> {
    window: chrono::Duration,
    entries: VecDeque<Entry<T>>,
    /// Sequence number of `entries[0]`.
    first: u64,
    postings: HashMap<u64, Vec<u64>, BuildHasherDefault<KeyHasher>>,
    newest: Option<DateTime<Utc>>,
}

impl<T> Index<T> {
    /// An empty index for candidates up to `window` older than an item.
    pub fn new(window: std::time::Duration) -> Index<T> {
        Index {
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::MAX),
            entries: VecDeque::new(),
            first: 0,
            postings: HashMap::default(),
            newest: None,
        }
    }

    /// Indexed items sharing a key with `keys` whose time is at least `since`,
    /// newest first, at most [`MAX_CANDIDATES`], with their sequence numbers.
    pub fn candidates(&self, keys: &[u64], since: DateTime<Utc>) -> Vec<(u64, &Entry<T>)> {
        let mut seqs: Vec<u64> = Vec::new();
        for key in keys {
            if let Some(list) = self.postings.get(key) {
                seqs.extend(
                    list.iter()
                        .rev()
                        .filter(|&&s| self.get(s).is_some_and(|e| e.time >= since))
                        .take(MAX_CANDIDATES),
                );
            }
        }
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        seqs.dedup();
        seqs.truncate(MAX_CANDIDATES);
        seqs.into_iter()
            .filter_map(|s| Some((s, self.get(s)?)))
            .collect()
    }

    /// Adds an item with its lookup keys (`signature.keys()`; its sequence
    /// number is returned); items older than two windows before the newest time seen
    /// are dropped (an item is compared with what came up to one window before
    /// it, as long as it is not itself more than a window older than the newest).
    pub fn insert(
        &mut self,
        time: DateTime<Utc>,
        signature: Signature,
        keys: Vec<u64>,
        value: T,
    ) -> u64 {
        let seq = self.first + self.entries.len() as u64;
        for &k in &keys {
            // The newest holders only: a key shared by thousands of items
            // (a generic title) costs no more than MAX_CANDIDATES of them.
            let list = self.postings.entry(k).or_default();
            if list.len() == MAX_CANDIDATES {
                list.remove(0);
            }
            list.push(seq);
        }
        self.entries.push_back(Entry {
            time,
            signature,
            keys,
            value,
        });
        let newest = self.newest.map_or(time, |n| n.max(time));
        self.newest = Some(newest);
        let horizon = newest
            .checked_sub_signed(self.window)
            .and_then(|t| t.checked_sub_signed(self.window));
        while let (Some(front), Some(horizon)) = (self.entries.front(), horizon) {
            if front.time >= horizon {
                break;
            }
            let old = self.entries.pop_front().expect("front exists");
            for k in &old.keys {
                if let Some(list) = self.postings.get_mut(k) {
                    // Lists hold sequence numbers in order: the oldest is first.
                    if list.first() == Some(&self.first) {
                        list.remove(0);
                    }
                    if list.is_empty() {
                        self.postings.remove(k);
                    }
                }
            }
            self.first += 1;
        }
        seq
    }

    /// The entry with this sequence number, if still held.
    pub fn get(&self, seq: u64) -> Option<&Entry<T>> {
        let i = usize::try_from(seq.checked_sub(self.first)?).ok()?;
        self.entries.get(i)
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no item is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// Keys are already uniform hashes: use them as they are.
#[derive(Default)]
pub struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}
