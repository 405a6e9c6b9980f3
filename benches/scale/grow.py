#!/usr/bin/env python3
"""grow.py DB TARGET: copies the stored items (new key, uid, link; older dates) until
the items table holds TARGET rows, in one transaction, into the schema tidings created.
No ANALYZE (tidings does not run it either)."""
import sqlite3, sys, time
db, target = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
base, maxid = c.execute("select count(*), max(id) from items").fetchone()
need = target - base
if need <= 0:
    print(f"database already has {base} items"); sys.exit()
copies = -(-need // base)
t = time.time()
c.execute("begin")
c.execute(f"""
  WITH RECURSIVE k(k) AS (SELECT 1 UNION ALL SELECT k + 1 FROM k WHERE k < {copies})
  INSERT INTO items (feed_id, key, uid, guid, link, title, summary, content, author, categories,
      published, updated, first_seen, modified, sort_time, content_hash, canonical_link,
      enclosures, extraction)
  SELECT feed_id, key || '#copy' || k, uid || 'c' || k, guid, link || '?copy=' || k, title, summary,
      content, author, categories, published - k * 86400, updated, first_seen - k * 86400,
      modified, sort_time - k * 86400, content_hash, canonical_link || '?copy=' || k, enclosures, extraction
  FROM k, items WHERE items.id <= {maxid} LIMIT {need}""")
c.execute("commit")
n, = c.execute("select count(*) from items").fetchone()
size = c.execute("pragma page_count").fetchone()[0] * c.execute("pragma page_size").fetchone()[0]
c.execute("pragma wal_checkpoint(truncate)")
print(f"serving database: {n} items in {c.execute('select count(*) from feeds').fetchone()[0]} feeds, "
      f"{size / 1e6:.0f} MB (grown from {base} in {time.time() - t:.0f} s)")
