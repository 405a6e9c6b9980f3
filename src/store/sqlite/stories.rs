//! Stories: which stored items are copies of one story (issue "One story, one
//! entry"). Each item's signature and lookup keys are kept (`dedup_signatures`,
//! `dedup_keys`) for as long as the window lets a new item be compared with it;
//! a new item is judged (`dedup::judge`) against the items sharing a key with
//! it, inside the write that stores it, so concurrent polls' copies meet.

use rusqlite::{Connection, OptionalExtension, params};

use super::Sqlite;
use super::items::{ITEM_COLUMNS, stored_item_at};
use crate::dedup::Signature;
use crate::model::{NewItem, StoredItem, StoryPrint};
use crate::store::StoreError;
use crate::store::stories::{CANDIDATES, Candidate, KEYS, Placement, place};

/// The newest items (at most [`CANDIDATES`]) holding one lookup key in the
/// window: a key that very many items share (boilerplate, a template) brings
/// no more, so the work per new item is bounded.
const KEY_QUERY: &str = "SELECT item_id FROM dedup_keys WHERE key = ?1 AND time >= ?2
     ORDER BY time DESC LIMIT ?3";

/// What a candidate brings to the judge: its story, name, feed and signature.
const CANDIDATE_QUERY: &str =
    "SELECT coalesce(i.story, i.id), i.uid, f.name, s.signature, i.feed_id, s.time
     FROM items i JOIN feeds f ON f.id = i.feed_id JOIN dedup_signatures s ON s.item_id = i.id
     WHERE i.id = ?1";

/// Judges a new item of `feed_id`, before it is stored: against the items of
/// the last `window_secs` from other feeds sharing a lookup key with it. A
/// story of its own when none is a copy (or it has no text).
pub(super) fn judge_new(
    tx: &Connection,
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
    let mut ids: Vec<i64> = Vec::new();
    {
        let mut by_key = tx.prepare_cached(KEY_QUERY)?;
        for &key in print.keys.iter().take(KEYS) {
            let rows = by_key.query_map(
                params![key as i64, time - window_secs, CANDIDATES as i64],
                |r| r.get::<_, i64>(0),
            )?;
            for id in rows {
                let id = id?;
                if !ids.contains(&id) {
                    ids.push(id);
                }
            }
        }
    }
    if ids.is_empty() {
        return Ok(own);
    }
    let mut found: Vec<Candidate> = Vec::new();
    {
        let mut candidate = tx.prepare_cached(CANDIDATE_QUERY)?;
        for id in ids {
            let row = candidate
                .query_row([id], |r| {
                    Ok(Candidate {
                        story: r.get(0)?,
                        uid: r.get(1)?,
                        feed: r.get(2)?,
                        signature: r.get(3)?,
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
    item_id: i64,
    print: Option<&StoryPrint>,
    time: i64,
) -> rusqlite::Result<()> {
    let Some(print) = print else {
        return Ok(());
    };
    tx.prepare_cached(
        "INSERT OR REPLACE INTO dedup_signatures (item_id, time, signature) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![item_id, time, print.signature])?;
    insert_keys(tx, item_id, time, &print.keys)
}

fn insert_keys(tx: &Connection, item_id: i64, time: i64, keys: &[u64]) -> rusqlite::Result<()> {
    // One statement for all of an item's keys.
    let keys = &keys[..keys.len().min(KEYS)];
    if keys.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT OR IGNORE INTO dedup_keys (key, time, item_id) VALUES {}",
        vec!["(?, ?, ?)"; keys.len()].join(", ")
    );
    let mut insert = tx.prepare_cached(&sql)?;
    let values: Vec<i64> = keys
        .iter()
        .flat_map(|&k| [k as i64, time, item_id])
        .collect();
    insert.execute(rusqlite::params_from_iter(values))?;
    Ok(())
}

/// Forgets an item's print (its keys and signature): before it is deleted, or
/// when it is replaced.
pub(super) fn forget(tx: &Connection, item_id: i64) -> rusqlite::Result<()> {
    let stored: Option<(i64, Vec<u8>)> = tx
        .prepare_cached("SELECT time, signature FROM dedup_signatures WHERE item_id = ?1")?
        .query_row([item_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((time, bytes)) = stored else {
        return Ok(());
    };
    if let Ok(sig) = Signature::from_bytes(&bytes) {
        let mut delete = tx.prepare_cached(
            "DELETE FROM dedup_keys WHERE key = ?1 AND time = ?2 AND item_id = ?3",
        )?;
        for key in sig.keys() {
            delete.execute(params![key as i64, time, item_id])?;
        }
    } else {
        // Written by another version: its keys cannot be recomputed, so look
        // for them the slow way (rare: only after a signature format change).
        tx.prepare_cached("DELETE FROM dedup_keys WHERE item_id = ?1")?
            .execute([item_id])?;
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
        let p = judge_new(tx, feed_id, item, time, window_secs)?;
        tx.prepare_cached(
            "UPDATE items SET story = ?2, dedup_time = ?3, dedup_reason = ?4 WHERE id = ?1",
        )?
        .execute(params![item_id, p.story, time, p.reason])?;
    }
    replace_print(tx, item_id, item.print.as_ref(), time)
}

/// Replaces an item's print, keeping its story.
pub(super) fn replace_print(
    tx: &Connection,
    item_id: i64,
    print: Option<&StoryPrint>,
    time: i64,
) -> rusqlite::Result<()> {
    forget(tx, item_id)?;
    keep_print(tx, item_id, print, time)
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

    /// Forgets the prints of items older than `cutoff` (unix seconds): no new
    /// item can be compared with them any more. Up to 500 at a time; returns
    /// how many (call again while it returns 500).
    pub fn expire_prints(&self, cutoff: i64) -> Result<usize, StoreError> {
        self.write(|c| {
            let tx = c.transaction()?;
            let ids: Vec<i64> = {
                let mut stmt = tx.prepare_cached(
                    "SELECT item_id FROM dedup_signatures WHERE time < ?1 LIMIT 500",
                )?;
                let rows = stmt.query_map([cutoff], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for id in &ids {
                forget(&tx, *id)?;
            }
            tx.commit()?;
            Ok(ids.len())
        })
    }

    /// Items whose print is kept, and lookup keys, for the figures in the README.
    pub fn print_counts(&self) -> Result<(u64, u64), StoreError> {
        self.read(|c| {
            let n = |sql: &str| {
                c.query_row(sql, [], |r| r.get::<_, i64>(0))
                    .map(|n| n as u64)
            };
            Ok((
                n("SELECT count(*) FROM dedup_signatures")?,
                n("SELECT count(*) FROM dedup_keys")?,
            ))
        })
    }
}
