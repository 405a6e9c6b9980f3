#!/usr/bin/env python3
"""plan.py DB LIMIT: EXPLAIN QUERY PLAN and timing of Store::items_of (src/store/mod.rs)
for the `all` output (every feed's URL bound as a parameter, as tidings does)."""
import sqlite3, sys, time
db, limit = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
urls = [u for (u,) in c.execute("select url from feeds order by id")]
cols = """i.uid, f.name, f.url, i.link, i.title, i.summary, coalesce(i.article_html, i.content), i.author,
    i.categories, i.sort_time, i.modified, i.canonical_link, i.enclosures, i.first_seen"""
sql = f"""SELECT {cols} FROM items i JOIN feeds f ON f.id = i.feed_id
                 WHERE f.url IN ({",".join("?" * len(urls))})
                 ORDER BY i.sort_time DESC, i.id DESC LIMIT {limit}"""
print(f"Store::items_of, {len(urls)} feed URLs bound, LIMIT {limit}; EXPLAIN QUERY PLAN:")
for row in c.execute("EXPLAIN QUERY PLAN " + sql, urls):
    print(f"  {row[0]:>3} {row[1]:>3}  {row[3]}")
for i in range(3):
    t = time.perf_counter(); rows = c.execute(sql, urls).fetchall()
    print(f"  query alone (python sqlite3 {sqlite3.sqlite_version}), run {i + 1}: {(time.perf_counter() - t) * 1000:.1f} ms, {len(rows)} rows")
