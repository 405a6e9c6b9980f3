#!/usr/bin/env python3
"""plan.py DB LIMIT: EXPLAIN QUERY PLAN and timing of Store::output_items
(src/store/items.rs) for the `all` output, which draws on every feed: the
output's feeds come from the output_feeds table tidings writes at start-up, and
with more than 50 feeds the query walks the items_by_time index."""
import sqlite3, sys, time
db, limit = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
cols = """i.uid, f.name, f.url, i.link, i.title, i.summary, coalesce(i.article_html, i.content), i.author,
    i.categories, i.sort_time, i.modified, i.canonical_link, i.enclosures, i.first_seen"""
feeds = c.execute("select count(*) from output_feeds where output = 'all'").fetchone()[0]
walk = "INDEXED BY items_by_time" if feeds > 50 else ""
sql = f"""SELECT {cols} FROM items i {walk} JOIN feeds f ON f.id = i.feed_id
                 WHERE i.feed_id IN (SELECT feed_id FROM output_feeds WHERE output = ?1)
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT {limit}"""
print(f"Store::output_items('all'), {feeds} feeds, LIMIT {limit}; EXPLAIN QUERY PLAN:")
for row in c.execute("EXPLAIN QUERY PLAN " + sql, ["all"]):
    print(f"  {row[0]:>3} {row[1]:>3}  {row[3]}")
for i in range(3):
    t = time.perf_counter(); rows = c.execute(sql, ["all"]).fetchall()
    print(f"  query alone (python sqlite3 {sqlite3.sqlite_version}), run {i + 1}: {(time.perf_counter() - t) * 1000:.1f} ms, {len(rows)} rows")
