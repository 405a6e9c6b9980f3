//! Stories on PostgreSQL: the same tables and semantics as SQLite's
//! (`dedup_signatures`, `dedup_keys`, items' `story`), judged inside the
//! write that stores the items.
//!
//! Several daemons may store copies of one story at once, each in its own
//! transaction, and neither would see the other's uncommitted rows. So a
//! write first takes transaction-scoped advisory locks on the lookup keys of
//! the items it is about to judge (see [`lock_keys`]), then reads the
//! candidates: a write judging a copy that shares a key with another write's
//! item waits for that write to commit and then sees it (each statement of a
//! READ COMMITTED transaction reads what committed before it began).

use std::collections::HashMap;

use tokio_postgres::types::ToSql;

use super::items::{ITEM_COLUMNS, items_of_rows};
use super::{Conn, Postgres};
use crate::dedup::Signature;
use crate::model::{StoredItem, StoryPrint};
use crate::store::StoreError;
use crate::store::stories::{CANDIDATES, Candidate, KEYS, Placement, place};

/// The class of the advisory locks on lookup keys (the two-`int4` key
/// space, apart from the migrations' `bigint` lock).
const KEY_LOCK_CLASS: i32 = 0x7374_6f72; // "stor"

/// The class of the one lock every judging write takes first: shared by
/// writes that lock their keys, exclusive for a write with more keys than
/// [`MAX_KEY_LOCKS`].
const ALL_KEYS_CLASS: i32 = 0x7374_6f73;

/// Key locks one write takes at most. PostgreSQL's lock table holds
/// `max_locks_per_transaction` (64 by default) locks per connection on
/// average: a cold poll's document of 30 new items has ~400 keys, and 16
/// such writes per daemon would exhaust it ("out of shared memory"). A
/// write with more keys takes the one exclusive lock instead.
const MAX_KEY_LOCKS: usize = 48;

/// The advisory lock object of a lookup key (keys are folded to 32 bits:
/// two keys sharing a lock only wait for each other).
fn lock_of(key: u64) -> i32 {
    (key ^ (key >> 32)) as u32 as i32
}

/// Takes the advisory locks (until the transaction ends) that keep two
/// writes judging copies of one story apart: the shared lock and every
/// lookup key of `prints` in one global order (no two writes can deadlock),
/// or, with more than [`MAX_KEY_LOCKS`] keys, the exclusive lock alone.
pub(super) async fn lock_keys(conn: &mut Conn, prints: &[&StoryPrint]) -> Result<(), StoreError> {
    let mut locks: Vec<i32> = prints
        .iter()
        .flat_map(|p| p.keys.iter().take(KEYS).map(|&k| lock_of(k)))
        .collect();
    if locks.is_empty() {
        return Ok(());
    }
    locks.sort_unstable();
    locks.dedup();
    let [shared, exclusive, keys] = conn
        .statements([
            "SELECT pg_advisory_xact_lock_shared($1, 0)",
            "SELECT pg_advisory_xact_lock($1, 0)",
            // A function scan yields the array in order: the locks are taken in it.
            "SELECT count(pg_advisory_xact_lock($1, k)) FROM unnest($2::INT4[]) AS k",
        ])
        .await?;
    let client = conn.client();
    if locks.len() > MAX_KEY_LOCKS {
        client.execute(&exclusive, &[&ALL_KEYS_CLASS]).await?;
    } else {
        client.execute(&shared, &[&ALL_KEYS_CLASS]).await?;
        client.query_one(&keys, &[&KEY_LOCK_CLASS, &locks]).await?;
    }
    Ok(())
}

/// Places each of `items` (a print, the time that places it in the window),
/// all of one feed, among the stored items of other feeds of the last
/// `window_secs` sharing a lookup key with it (see `sqlite::stories` for the
/// same in SQLite). Call [`lock_keys`] on them first.
pub(super) async fn judge(
    conn: &mut Conn,
    feed_id: i64,
    items: &[(Option<&StoryPrint>, i64)],
    window_secs: i64,
) -> Result<Vec<Placement>, StoreError> {
    let mut placements: Vec<Placement> = items.iter().map(|_| Placement::own()).collect();
    // (item index, its signature), and every key lookup: key, window start, whose.
    let mut judged: Vec<(usize, Signature)> = Vec::new();
    let (mut keys, mut since, mut owner) = (Vec::new(), Vec::new(), Vec::new());
    for (index, (print, time)) in items.iter().enumerate() {
        let Some(print) = print else { continue };
        let Ok(sig) = Signature::from_bytes(&print.signature) else {
            continue;
        };
        for &key in print.keys.iter().take(KEYS) {
            keys.push(key as i64);
            since.push(time - window_secs);
            owner.push(judged.len());
        }
        judged.push((index, sig));
    }
    if keys.is_empty() {
        return Ok(placements);
    }
    let [by_key, candidate] = conn
        .statements([
            // The newest items (at most CANDIDATES) holding each key in the
            // window: a key very many items share brings no more.
            "SELECT k.n, c.item_id FROM unnest($1::BIGINT[], $2::BIGINT[]) WITH ORDINALITY AS k(key, since, n)
             CROSS JOIN LATERAL (SELECT item_id, time FROM dedup_keys d
                                  WHERE d.key = k.key AND d.time >= k.since
                                  ORDER BY d.time DESC LIMIT $3) c
             ORDER BY k.n, c.time DESC",
            "SELECT i.id, coalesce(i.story, i.id), i.uid, f.name, s.signature, i.feed_id, s.time
             FROM items i JOIN feeds f ON f.id = i.feed_id JOIN dedup_signatures s ON s.item_id = i.id
             WHERE i.id = ANY($1)",
        ])
        .await?;
    let rows = conn
        .client()
        .query(&by_key, &[&keys, &since, &(CANDIDATES as i64)])
        .await?;
    // Each judged item's candidates, in the order its keys found them, once.
    let mut ids: Vec<Vec<i64>> = judged.iter().map(|_| Vec::new()).collect();
    let mut all: Vec<i64> = Vec::new();
    for r in &rows {
        let n: i64 = r.get(0);
        let id: i64 = r.get(1);
        let Some(&whose) = usize::try_from(n - 1).ok().and_then(|n| owner.get(n)) else {
            continue;
        };
        if !ids[whose].contains(&id) {
            ids[whose].push(id);
            all.push(id);
        }
    }
    if all.is_empty() {
        return Ok(placements);
    }
    all.sort_unstable();
    all.dedup();
    let rows = conn.client().query(&candidate, &[&all]).await?;
    let found: HashMap<i64, &tokio_postgres::Row> = rows.iter().map(|r| (r.get(0), r)).collect();
    for ((index, sig), ids) in judged.iter().zip(ids) {
        let candidates: Vec<Candidate> = ids
            .iter()
            .filter_map(|id| found.get(id))
            .map(|r| Candidate {
                story: r.get(1),
                uid: r.get(2),
                feed: r.get(3),
                signature: r.get(4),
                feed_id: r.get(5),
                time: r.get(6),
            })
            .collect();
        if !candidates.is_empty() {
            placements[*index] = place(sig, feed_id, candidates);
        }
    }
    Ok(placements)
}

/// Keeps stored items' prints (signature and lookup keys) for the items that
/// come after them: (item id, print, time), item ids distinct.
pub(super) async fn keep_prints(
    conn: &mut Conn,
    prints: &[(i64, &StoryPrint, i64)],
) -> Result<(), StoreError> {
    if prints.is_empty() {
        return Ok(());
    }
    let [signatures, keys] = conn
        .statements([
            "INSERT INTO dedup_signatures (item_id, time, signature)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BYTEA[])
             ON CONFLICT (item_id) DO UPDATE SET time = excluded.time, signature = excluded.signature",
            "INSERT INTO dedup_keys (key, time, item_id)
             SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[])
             ON CONFLICT DO NOTHING",
        ])
        .await?;
    let ids: Vec<i64> = prints.iter().map(|p| p.0).collect();
    let times: Vec<i64> = prints.iter().map(|p| p.2).collect();
    let bytes: Vec<&[u8]> = prints.iter().map(|p| p.1.signature.as_slice()).collect();
    let (mut key, mut time, mut item) = (Vec::new(), Vec::new(), Vec::new());
    for (id, print, t) in prints {
        for &k in print.keys.iter().take(KEYS) {
            key.push(k as i64);
            time.push(*t);
            item.push(*id);
        }
    }
    let client = conn.client();
    let sig_params: [&(dyn ToSql + Sync); 3] = [&ids, &times, &bytes];
    client.execute(&signatures, &sig_params).await?;
    if !key.is_empty() {
        client.execute(&keys, &[&key, &time, &item]).await?;
    }
    Ok(())
}

/// Forgets items' prints (their keys and signatures): before they are
/// deleted, or when they are replaced.
pub(super) async fn forget(conn: &mut Conn, ids: &[i64]) -> Result<(), StoreError> {
    if ids.is_empty() {
        return Ok(());
    }
    let [stored, delete_keys, delete_slow, delete_signatures] = conn
        .statements([
            "SELECT item_id, time, signature FROM dedup_signatures WHERE item_id = ANY($1)",
            "DELETE FROM dedup_keys WHERE (key, time, item_id) IN
                 (SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[], $3::BIGINT[]))",
            "DELETE FROM dedup_keys WHERE item_id = ANY($1)",
            "DELETE FROM dedup_signatures WHERE item_id = ANY($1)",
        ])
        .await?;
    let rows = conn.client().query(&stored, &[&ids]).await?;
    if rows.is_empty() {
        return Ok(());
    }
    let (mut key, mut time, mut item, mut unreadable) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut had: Vec<i64> = Vec::with_capacity(rows.len());
    for r in &rows {
        let (id, t, bytes): (i64, i64, Vec<u8>) = (r.get(0), r.get(1), r.get(2));
        had.push(id);
        match Signature::from_bytes(&bytes) {
            Ok(sig) => {
                for k in sig.keys() {
                    key.push(k as i64);
                    time.push(t);
                    item.push(id);
                }
            }
            // Written by another version: its keys cannot be recomputed, so
            // look for them the slow way (rare: after a format change).
            Err(_) => unreadable.push(id),
        }
    }
    let client = conn.client();
    if !key.is_empty() {
        client.execute(&delete_keys, &[&key, &time, &item]).await?;
    }
    if !unreadable.is_empty() {
        client.execute(&delete_slow, &[&unreadable]).await?;
    }
    client.execute(&delete_signatures, &[&had]).await?;
    Ok(())
}

impl Postgres {
    /// Every copy of `stories` among the items of `output`'s feeds, oldest first.
    pub fn story_copies(
        &self,
        output: &str,
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        if stories.is_empty() {
            return Ok(Vec::new());
        }
        let (output, stories) = (output.to_string(), stories.to_vec());
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                         WHERE (i.story = ANY($1) OR i.id = ANY($1))
                           AND i.feed_id IN (SELECT feed_id FROM output_feeds WHERE output = $2)
                         ORDER BY i.id"
                    ),
                    &[&stories, &output],
                )
                .await?;
            items_of_rows(rows, 0)
        })
    }

    /// Every copy of `stories` among the items of the feeds at `feed_urls`,
    /// oldest first.
    pub fn story_copies_of_feeds(
        &self,
        feed_urls: &[String],
        stories: &[i64],
    ) -> Result<Vec<StoredItem>, StoreError> {
        if stories.is_empty() || feed_urls.is_empty() {
            return Ok(Vec::new());
        }
        let (urls, stories) = (feed_urls.to_vec(), stories.to_vec());
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let rows = conn
                .client()
                .query(
                    &format!(
                        "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                         WHERE (i.story = ANY($1) OR i.id = ANY($1)) AND f.url = ANY($2)
                         ORDER BY i.id"
                    ),
                    &[&stories, &urls],
                )
                .await?;
            items_of_rows(rows, 0)
        })
    }

    /// Why an item (by public id) is in the story it is in.
    pub fn story_reason(&self, uid: &str) -> Result<Option<String>, StoreError> {
        let uid = uid.to_string();
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            Ok(conn
                .client()
                .query_opt("SELECT dedup_reason FROM items WHERE uid = $1", &[&uid])
                .await?
                .and_then(|r| r.get(0)))
        })
    }

    /// Forgets the prints of up to 500 items dated before the day of `cutoff`
    /// (as SQLite's); returns how many.
    pub fn expire_prints(&self, cutoff: i64) -> Result<usize, StoreError> {
        let day = cutoff / 86_400;
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            conn.client().batch_execute("BEGIN").await?;
            let outcome = async {
                let rows = conn
                    .client()
                    .query(
                        "SELECT item_id FROM dedup_signatures WHERE time / 86400 < $1 LIMIT 500",
                        &[&day],
                    )
                    .await?;
                let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
                forget(&mut conn, &ids).await?;
                Ok::<_, StoreError>(ids.len())
            }
            .await;
            match outcome {
                Ok(n) => {
                    conn.client().batch_execute("COMMIT").await?;
                    Ok(n)
                }
                Err(e) => {
                    if conn.client().batch_execute("ROLLBACK").await.is_err() {
                        // Not reused half-way through a transaction.
                        conn.pooled = None;
                    }
                    Err(e)
                }
            }
        })
    }

    /// Items whose print is kept, and lookup keys.
    pub fn print_counts(&self) -> Result<(u64, u64), StoreError> {
        self.run(move |inner| async move {
            let mut conn = inner.conn().await?;
            let row = conn
                .client()
                .query_one(
                    "SELECT (SELECT count(*) FROM dedup_signatures), (SELECT count(*) FROM dedup_keys)",
                    &[],
                )
                .await?;
            Ok((row.get::<_, i64>(0) as u64, row.get::<_, i64>(1) as u64))
        })
    }
}
