//! Stories: which stored items are copies of one story (issue "One story, one
//! entry"). Each item's signature is kept (`dedup_signatures`) for as long as
//! the window lets a new item be compared with it, and its lookup keys in
//! memory ([`KeyIndex`]); a new item is judged (`dedup::judge`) against the
//! items sharing a key with it, inside the write that stores it, so
//! concurrent polls' copies meet.
//!
//! Why the keys are not a table here: they are random 64-bit values, so each
//! new item's seven keys landed on seven random pages of an index the size of
//! the window (30 MB for 150,000 items), and every batch's commit wrote those
//! pages to the WAL and checkpointed them back. A cold 10,000-feed poll with
//! half its items in the window took twice the CPU of the same poll without
//! stories. In memory they cost about 30 bytes each and nothing per commit;
//! they are recomputed from the signatures (`Signature::keys`) the first time
//! a write needs them. PostgreSQL keeps them in a table: several daemons must
//! see each other's keys.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use rusqlite::{Connection, OptionalExtension, params};

use super::Sqlite;
use super::items::{ITEM_COLUMNS, stored_item_at};
use crate::dedup::Signature;
use crate::model::{NewItem, StoredItem, StoryPrint};
use crate::store::StoreError;
use crate::store::stories::{CANDIDATES, Candidate, KEYS, Placement, place};

/// What a candidate brings to the judge: its story, name, feed and signature;
/// nothing for one out of the window (`?2`) or of the new item's own feed
/// (`?3`), which are not judged, so their signatures are not read.
const CANDIDATE_QUERY: &str =
    "SELECT coalesce(i.story, i.id), i.uid, f.name, s.signature, i.feed_id, s.time
     FROM items i JOIN feeds f ON f.id = i.feed_id JOIN dedup_signatures s ON s.item_id = i.id
     WHERE i.id = ?1 AND s.time >= ?2 AND i.feed_id <> ?3";

/// The lookup keys of the kept prints: key → the items holding it. Most keys
/// belong to one item (`one`); a key shared by several (copies of a story,
/// or boilerplate) keeps its newest [`CANDIDATES`] items in `many`, so the
/// work per new item stays bounded whatever a key's popularity.
///
/// Compact, since it holds a window of items' keys (a million for 150,000
/// items): 32 bits of each key and 32-bit item ids, 8 bytes an entry (ids
/// past 32 bits go to `many`). Two keys that agree in those bits only cost
/// a candidate lookup (one in 4,000 at a million keys).
///
/// It lives beside the writer connection and changes only under its lock.
/// Entries may outlive their rows (a write that rolled back, an id reused):
/// each candidate is read back with [`CANDIDATE_QUERY`] and judged on its
/// stored signature, so a stale entry costs a lookup, never a wrong merge.
#[derive(Default)]
pub(crate) struct KeyIndex {
    /// Filled from the stored signatures on first use.
    loaded: bool,
    /// Keys were removed since the last commit (see [`settle`]).
    removed: bool,
    /// Key → its one holder, or [`MANY`]: then its holders are in `many`.
    /// One probe answers for most keys: a key new to the index (the usual
    /// case) costs one cache miss, not one in each map.
    one: HashMap<u32, u32>,
    many: HashMap<u32, Vec<i64>>,
}

/// In `one`: the key's holders are in `many` (several, or an id past 32 bits).
const MANY: u32 = u32::MAX;

/// A key's bits the index keeps.
fn short(key: u64) -> u32 {
    (key ^ (key >> 32)) as u32
}

impl KeyIndex {
    /// Loads the keys of every kept print, once.
    fn ready(&mut self, c: &Connection) -> rusqlite::Result<&mut KeyIndex> {
        if !self.loaded {
            let mut stmt =
                c.prepare("SELECT item_id, signature FROM dedup_signatures ORDER BY item_id")?;
            let mut rows = stmt.query([])?;
            while let Some(row) = rows.next()? {
                let id: i64 = row.get(0)?;
                // A signature another version wrote has no keys this one can
                // compute: it is not found by new items (and is replaced when
                // its item is next written).
                if let Ok(sig) = Signature::from_bytes(&bytes_at(row, 1)?) {
                    for key in sig.keys().into_iter().take(KEYS) {
                        self.add(key, id);
                    }
                }
            }
            self.loaded = true;
        }
        Ok(self)
    }

    fn add(&mut self, key: u64, id: i64) {
        let key = short(key);
        match self.one.entry(key) {
            Entry::Occupied(mut held) => {
                let other = *held.get();
                if other == MANY {
                    let ids = self.many.entry(key).or_default();
                    if !ids.contains(&id) {
                        if ids.len() >= CANDIDATES {
                            ids.remove(0);
                        }
                        ids.push(id);
                    }
                } else if i64::from(other) != id {
                    held.insert(MANY);
                    self.many.insert(key, vec![i64::from(other), id]);
                }
            }
            Entry::Vacant(free) => match u32::try_from(id) {
                Ok(small) if small != MANY => {
                    free.insert(small);
                }
                _ => {
                    free.insert(MANY);
                    self.many.insert(key, vec![id]);
                }
            },
        }
    }

    fn remove(&mut self, key: u64, id: i64) {
        self.removed = true;
        let key = short(key);
        match self.one.get(&key).copied() {
            Some(MANY) => {
                let emptied = self.many.get_mut(&key).is_none_or(|ids| {
                    ids.retain(|&i| i != id);
                    ids.is_empty()
                });
                if emptied {
                    self.many.remove(&key);
                    self.one.remove(&key);
                }
            }
            Some(other) if i64::from(other) == id => {
                self.one.remove(&key);
            }
            _ => {}
        }
    }

    /// The items holding `key`, newest (highest id) first.
    fn holders(&self, key: u64) -> impl Iterator<Item = i64> + '_ {
        let key = short(key);
        let (one, many) = match self.one.get(&key).copied() {
            None => (None, None),
            Some(MANY) => (None, self.many.get(&key)),
            Some(id) => (Some(i64::from(id)), None),
        };
        one.into_iter()
            .chain(many.into_iter().flat_map(|v| v.iter().rev().copied()))
    }

    /// Keys held, for the figures in the README.
    fn len(&self) -> usize {
        self.one.values().filter(|&&id| id != MANY).count()
            + self.many.values().map(Vec::len).sum::<usize>()
    }
}

/// A stored signature's bytes; none (so it is skipped as undecodable) when
/// the value is not bytes at all (a row written by hand or another tool), so
/// that one such row cannot fail every write that meets it.
fn bytes_at(row: &rusqlite::Row, at: usize) -> rusqlite::Result<Vec<u8>> {
    Ok(row
        .get_ref(at)?
        .as_bytes()
        .map(<[u8]>::to_vec)
        .unwrap_or_default())
}

/// After a write: when it rolled back (wholly or in part) after removing
/// keys, the index is dropped, to be loaded again from what was committed (a
/// removal is the one change that a stale index cannot absorb: the item
/// would no longer be found). Extra entries left by a rollback are harmless.
pub(super) fn settle(keys: &std::sync::Mutex<KeyIndex>, committed: bool) {
    let mut keys = lock(keys);
    if committed {
        keys.removed = false;
    } else if keys.removed {
        *keys = KeyIndex::default();
    }
}

/// The key index of a store, locked (a poisoned lock is still usable: the
/// index only ever holds extra entries, see [`KeyIndex`]).
pub(super) fn lock(keys: &std::sync::Mutex<KeyIndex>) -> std::sync::MutexGuard<'_, KeyIndex> {
    keys.lock().unwrap_or_else(|p| p.into_inner())
}

/// Judges a new item of `feed_id`, before it is stored: against the items of
/// the last `window_secs` from other feeds sharing a lookup key with it. A
/// story of its own when none is a copy (or it has no text).
pub(super) fn judge_new(
    tx: &Connection,
    keys: &mut KeyIndex,
    feed_id: i64,
    item: &NewItem,
    time: i64,
    window_secs: i64,
) -> rusqlite::Result<Placement> {
    let own = Placement::own();
    let Some(print) = &item.print else {
        return Ok(own);
    };
    let Ok(new) = Signature::from_bytes(&print.signature) else {
        return Ok(own);
    };
    let keys = keys.ready(tx)?;
    let mut ids: Vec<i64> = Vec::new();
    for &key in print.keys.iter().take(KEYS) {
        for id in keys.holders(key).take(CANDIDATES) {
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    if ids.is_empty() {
        return Ok(own);
    }
    let since = time - window_secs;
    let mut found: Vec<Candidate> = Vec::new();
    {
        let mut candidate = tx.prepare_cached(CANDIDATE_QUERY)?;
        for id in ids {
            let row = candidate
                .query_row(params![id, since, feed_id], |r| {
                    Ok(Candidate {
                        story: r.get(0)?,
                        uid: r.get(1)?,
                        feed: r.get(2)?,
                        signature: bytes_at(r, 3)?,
                        feed_id: r.get(4)?,
                        time: r.get(5)?,
                    })
                })
                .optional()?;
            found.extend(row);
        }
    }
    Ok(place(&new, feed_id, found))
}

/// Keeps a stored item's print (signature and lookup keys) for the items
/// that come after it.
pub(super) fn keep_print(
    tx: &Connection,
    keys: &mut KeyIndex,
    item_id: i64,
    print: Option<&StoryPrint>,
    time: i64,
) -> rusqlite::Result<()> {
    let Some(print) = print else {
        return Ok(());
    };
    tx.prepare_cached(
        // An upsert, not INSERT OR REPLACE: a REPLACE may delete a row, so
        // SQLite keeps a statement journal for it inside the savepoint.
        "INSERT INTO dedup_signatures (item_id, time, signature) VALUES (?1, ?2, ?3)
         ON CONFLICT (item_id) DO UPDATE SET time = excluded.time, signature = excluded.signature",
    )?
    .execute(params![item_id, time, print.signature])?;
    let keys = keys.ready(tx)?;
    for &key in print.keys.iter().take(KEYS) {
        keys.add(key, item_id);
    }
    Ok(())
}

/// Forgets an item's print (its keys and signature): before it is deleted, or
/// when it is replaced.
pub(super) fn forget(tx: &Connection, keys: &mut KeyIndex, item_id: i64) -> rusqlite::Result<()> {
    let stored: Option<Vec<u8>> = tx
        .prepare_cached("SELECT signature FROM dedup_signatures WHERE item_id = ?1")?
        .query_row([item_id], |r| bytes_at(r, 0))
        .optional()?;
    let Some(bytes) = stored else {
        return Ok(());
    };
    if let Ok(sig) = Signature::from_bytes(&bytes) {
        let keys = keys.ready(tx)?;
        for key in sig.keys().into_iter().take(KEYS) {
            keys.remove(key, item_id);
        }
    }
    tx.prepare_cached("DELETE FROM dedup_signatures WHERE item_id = ?1")?
        .execute([item_id])?;
    Ok(())
}

/// Replaces a stored item's print (its text changed, or its full text
/// arrived): its story stays. An item never placed (stored before stories
/// were kept) is judged and placed now.
pub(super) fn reprint(
    tx: &Connection,
    keys: &mut KeyIndex,
    item_id: i64,
    feed_id: i64,
    item: &NewItem,
    time: i64,
    window_secs: i64,
) -> rusqlite::Result<()> {
    let placed: Option<i64> = tx
        .prepare_cached("SELECT dedup_time FROM items WHERE id = ?1")?
        .query_row([item_id], |r| r.get(0))?;
    if placed.is_none() {
        let p = judge_new(tx, keys, feed_id, item, time, window_secs)?;
        tx.prepare_cached(
            "UPDATE items SET story = ?2, dedup_time = ?3, dedup_reason = ?4 WHERE id = ?1",
        )?
        .execute(params![item_id, p.story, time, p.reason])?;
    }
    replace_print(tx, keys, item_id, item.print.as_ref(), time)
}

/// Replaces an item's print, keeping its story.
pub(super) fn replace_print(
    tx: &Connection,
    keys: &mut KeyIndex,
    item_id: i64,
    print: Option<&StoryPrint>,
    time: i64,
) -> rusqlite::Result<()> {
    forget(tx, keys, item_id)?;
    keep_print(tx, keys, item_id, print, time)
}

impl Sqlite {
    /// Every copy of `stories` among the items of `output`'s feeds, oldest
    /// first (publishing groups them: one entry per story).
    pub fn story_copies(
        &self,
        output: &str,
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        if stories.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let mut out = Vec::new();
            // Bound the statement size: a 100-item output has at most 100 stories.
            for chunk in stories.chunks(200) {
                let placeholders = vec!["?"; chunk.len()].join(",");
                // A story's first item has no `story` of its own: it is the story.
                let sql = format!(
                    "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                     WHERE (i.story IN ({placeholders}) OR i.id IN ({placeholders}))
                       AND i.feed_id IN (SELECT feed_id FROM output_feeds WHERE output = ?)
                     ORDER BY i.id"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let ids = chunk.iter().map(|s| rusqlite::types::Value::Integer(*s));
                let params =
                    ids.clone()
                        .chain(ids)
                        .chain(std::iter::once(rusqlite::types::Value::Text(
                            output.to_string(),
                        )));
                let rows =
                    stmt.query_map(rusqlite::params_from_iter(params), |r| stored_item_at(r, 0))?;
                for row in rows {
                    out.push(row?);
                }
            }
            Ok(out)
        })
    }

    /// Every copy of `stories` among the items of the feeds at `feed_urls`,
    /// oldest first (what an output over those feeds would show of them).
    pub fn story_copies_of_feeds(
        &self,
        feed_urls: &[String],
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        let wanted: std::collections::HashSet<&str> =
            feed_urls.iter().map(String::as_str).collect();
        let mut out = Vec::new();
        for chunk in stories.chunks(200) {
            let rows = self.read(|c| {
                let placeholders = vec!["?"; chunk.len()].join(",");
                let sql = format!(
                    "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                     WHERE i.story IN ({placeholders}) OR i.id IN ({placeholders}) ORDER BY i.id"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(chunk.iter().chain(chunk)), |r| {
                        stored_item_at(r, 0)
                    })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })?;
            out.extend(
                rows.into_iter()
                    .filter(|i| wanted.contains(i.feed_url.as_str())),
            );
        }
        Ok(out)
    }

    /// Why an item (by public id) is in the story it is in: the judge's words
    /// when it joined another item's story (`None` for a story's first item).
    pub fn story_reason(&self, uid: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT dedup_reason FROM items WHERE uid = ?1",
                [uid],
                |r| r.get(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Forgets the prints of items dated before the day of `cutoff` (unix
    /// seconds; by day, see migration 13): no new item can be compared with
    /// them any more. Up to 500 at a time; returns how many (call again while
    /// it returns 500).
    pub fn expire_prints(&self, cutoff: i64) -> Result<usize, StoreError> {
        let day = cutoff / 86_400;
        self.write(|c| {
            let tx = c.transaction()?;
            let ids: Vec<i64> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT item_id FROM dedup_signatures WHERE time / 86400 < ?1 LIMIT 500",
                )?;
                let rows = stmt.query_map([day], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let forgotten = {
                let mut keys = lock(&self.shared.keys);
                ids.iter().try_for_each(|id| forget(&tx, &mut keys, *id))
            };
            let committed = forgotten.and_then(|()| tx.commit());
            settle(&self.shared.keys, committed.is_ok());
            committed?;
            Ok(ids.len())
        })
    }

    /// Items whose print is kept, and lookup keys, for the figures in the README.
    pub fn print_counts(&self) -> Result<(u64, u64), StoreError> {
        self.write(|c| {
            let prints: i64 =
                c.query_row("SELECT count(*) FROM dedup_signatures", [], |r| r.get(0))?;
            let mut keys = lock(&self.shared.keys);
            Ok((prints as u64, keys.ready(c)?.len() as u64))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_key_keeps_its_newest_holders_within_the_bound() {
        let mut index = KeyIndex {
            loaded: true,
            ..KeyIndex::default()
        };
        index.add(7, 1);
        index.add(7, 1);
        assert_eq!(index.holders(7).collect::<Vec<_>>(), [1]);
        for id in 2..=(CANDIDATES as i64 + 10) {
            index.add(7, id);
        }
        let held: Vec<i64> = index.holders(7).collect();
        assert_eq!(held.len(), CANDIDATES);
        assert_eq!(held[0], CANDIDATES as i64 + 10, "newest first");
        index.remove(7, CANDIDATES as i64 + 10);
        assert_eq!(index.holders(7).next(), Some(CANDIDATES as i64 + 9));
        index.add(9, 3);
        index.remove(9, 4);
        // Ids past 32 bits are kept too, and the one id that is the marker.
        index.add(13, i64::from(MANY));
        assert_eq!(index.holders(13).collect::<Vec<_>>(), [i64::from(MANY)]);
        index.remove(13, i64::from(MANY));
        assert_eq!(index.holders(13).count(), 0);
        index.add(11, 1 << 40);
        assert_eq!(index.holders(11).collect::<Vec<_>>(), [1 << 40]);
        index.remove(11, 1 << 40);
        assert_eq!(index.holders(9).collect::<Vec<_>>(), [3]);
        index.remove(9, 3);
        assert_eq!(index.holders(9).count(), 0);
        assert_eq!(index.len(), CANDIDATES - 1);
    }

    #[test]
    fn a_rolled_back_removal_drops_the_index_for_a_reload() {
        let loaded = || KeyIndex {
            loaded: true,
            ..KeyIndex::default()
        };
        let keys = std::sync::Mutex::new(loaded());
        lock(&keys).add(1, 10);
        // Additions that roll back are harmless: the index stays.
        settle(&keys, false);
        assert!(lock(&keys).loaded);
        // A removal that commits is kept; one that rolls back is undone by
        // loading the index again from what was committed.
        lock(&keys).remove(1, 10);
        settle(&keys, true);
        assert!(lock(&keys).loaded && !lock(&keys).removed);
        lock(&keys).remove(2, 20);
        settle(&keys, false);
        assert!(!lock(&keys).loaded);
    }
}
