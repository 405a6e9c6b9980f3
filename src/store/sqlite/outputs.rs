//! Filtered outputs' memberships: the stored verdicts and their re-evaluation.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};

use super::Sqlite;
use super::items::{ITEM_COLUMNS, stored_item_at};
use crate::model::StoredItem;
use crate::store::StoreError;
use crate::store::values::unix;

impl Sqlite {
    /// The fingerprint of the rules an output's memberships were computed with.
    pub fn output_fingerprint(&self, output: &str) -> Result<Option<String>, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT fingerprint FROM output_state WHERE output = ?1",
                [output],
                |r| r.get(0),
            )
            .optional()
        })
    }

    /// Re-evaluates a filtered output over every stored item of its feeds and
    /// replaces its memberships in one transaction (serving never sees a half-done
    /// state). Returns (items evaluated, items matched).
    pub fn reevaluate(
        &self,
        output: &str,
        feed_urls: &[String],
        fingerprint: &str,
        matches: &dyn Fn(&StoredItem) -> bool,
    ) -> Result<(usize, usize), StoreError> {
        let mut matched: Vec<i64> = Vec::new();
        let mut evaluated = 0;
        let mut after = 0i64;
        loop {
            let batch = self.read(|c| {
                let placeholders = vec!["?"; feed_urls.len().max(1)].join(",");
                let sql = format!(
                    "SELECT i.id, {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                     WHERE i.id > ? AND f.url IN ({placeholders}) ORDER BY i.id LIMIT 2000"
                );
                let mut stmt = c.prepare_cached(&sql)?;
                let after_text = after.to_string();
                let params = std::iter::once(after_text.as_str())
                    .chain(feed_urls.iter().map(String::as_str));
                let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
                    Ok((r.get::<_, i64>(0)?, stored_item_at(r, 1)?))
                })?;
                rows.collect::<rusqlite::Result<Vec<_>>>()
            })?;
            let Some((last, _)) = batch.last() else { break };
            after = *last;
            for (id, item) in &batch {
                evaluated += 1;
                if matches(item) {
                    matched.push(*id);
                }
            }
        }
        self.write(|c| {
            let tx = c.transaction()?;
            tx.execute("DELETE FROM memberships WHERE output = ?1", [output])?;
            {
                let mut insert = tx.prepare_cached("INSERT INTO memberships (output, item_id) VALUES (?1, ?2)")?;
                for id in &matched {
                    insert.execute(params![output, id])?;
                }
            }
            tx.execute(
                "INSERT INTO output_state (output, fingerprint, evaluated) VALUES (?1, ?2, ?3)
                 ON CONFLICT (output) DO UPDATE SET fingerprint = excluded.fingerprint, evaluated = excluded.evaluated",
                params![output, fingerprint, unix(Utc::now())],
            )?;
            tx.commit()
        })?;
        self.shared.bump(&format!("output:{output}"));
        Ok((evaluated, matched.len()))
    }

    /// Whether an item (by public id) is stored as a member of `output`.
    pub fn is_member(&self, output: &str, uid: &str) -> Result<bool, StoreError> {
        self.read(|c| {
            c.query_row(
                "SELECT count(*) FROM memberships m JOIN items i ON i.id = m.item_id WHERE m.output = ?1 AND i.uid = ?2",
                params![output, uid],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n > 0)
        })
    }

    /// The newest `limit` items of the feeds at `feed_urls` (configured URLs),
    /// newest first in the order outputs serve them, whatever outputs they are
    /// in: what an output over these feeds draws on (`tidings preview`).
    pub fn newest_items_of(
        &self,
        feed_urls: &[String],
        limit: usize,
    ) -> Result<Vec<StoredItem>, StoreError> {
        if feed_urls.is_empty() {
            return Ok(Vec::new());
        }
        self.read(|c| {
            let placeholders = vec!["?"; feed_urls.len()].join(",");
            let sql = format!(
                "SELECT {ITEM_COLUMNS} FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE f.url IN ({placeholders}) ORDER BY i.sort_time DESC, i.id DESC LIMIT {limit}"
            );
            let mut stmt = c.prepare(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(feed_urls), |r| {
                stored_item_at(r, 0)
            })?;
            rows.collect()
        })
    }
}
