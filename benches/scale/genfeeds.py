#!/usr/bin/env python3
"""Deterministic feed corpus for benches/scale.sh.

    genfeeds.py DIR N             write DIR/f/00000.xml ... (N feeds)
    genfeeds.py DIR N --bump      add 1-5 new items to every 4th feed (i % 4 == 0),
                                  moving its mtime forward so nginx's ETag and
                                  Last-Modified change

Feeds: ~60% RSS 2.0, ~40% Atom; 10-50 items each; short summaries (150-700
chars) everywhere, and in ~15% of feeds full-text content (2-8 KB of HTML per
item, content:encoded / atom:content). Everything derives from random.Random(i),
so the same N gives byte-identical files.
"""
import os, random, sys, datetime
from xml.sax.saxutils import escape

WORDS = ("summit minister talks economy market policy election council report city "
         "government research climate energy security trade agreement officials said "
         "announced week year people plan project budget court ruling health school "
         "data network release update community science museum festival river coast "
         "Seoul Tokyo Berlin Lagos Lima Oslo Hanoi Quito Cairo Perth").split()
# RECENT=1: the newest items are dated now (to the hour), so many fall inside
# the story de-duplication window (the default dates are days in the past).
# RECENT_AT=<unix seconds> pins "now", so that a later --bump of a RECENT=1
# corpus keeps its other items' dates even in another clock hour.
NOW = (datetime.datetime.utcfromtimestamp(int(os.environ["RECENT_AT"]))
       if os.environ.get("RECENT_AT") else datetime.datetime.utcnow())
BASE = (NOW.replace(minute=0, second=0, microsecond=0)
        if os.environ.get("RECENT") == "1" else datetime.datetime(2026, 11, 20, 12, 0, 0))
BASE_MTIME = 1795000000  # fixed mtime of the generated files (2026-11-18)

def sentence(r, lo=8, hi=20):
    w = [r.choice(WORDS) for _ in range(r.randint(lo, hi))]
    return " ".join(w).capitalize() + "."

def para(r, n):
    return " ".join(sentence(r) for _ in range(n))

def html_body(r, size):
    out, total = [], 0
    while total < size:
        kind = r.random()
        if kind < 0.12:
            s = f"<h2>{escape(sentence(r, 3, 7))}</h2>"
        elif kind < 0.2:
            s = f'<p><img src="https://img.example/{r.randrange(10**6)}.jpg" alt="{escape(sentence(r, 2, 5))}"></p>'
        elif kind < 0.28:
            s = "<ul>" + "".join(f"<li>{escape(sentence(r, 4, 9))}</li>" for _ in range(r.randint(2, 5))) + "</ul>"
        else:
            s = f'<p>{escape(para(r, r.randint(2, 5)))} <a href="https://ref.example/{r.randrange(10**6)}">more</a></p>'
        out.append(s); total += len(s)
    return "".join(out)

def items_for(i, extra):
    """Items of feed i, newest first; `extra` newer items prepended (the bump)."""
    r = random.Random(i)
    n = r.randint(10, 50)
    full = r.random() < 0.15
    step = r.randint(20, 600)  # minutes between posts
    out = []
    for k in range(-extra, n):  # k < 0: items added by a bump, newer than the rest
        ir = random.Random(i * 100003 + k)
        when = BASE - datetime.timedelta(minutes=step * k)
        out.append({
            "n": n - k,
            "title": sentence(ir, 4, 12)[:-1],
            "link": f"https://site{i}.example/{when:%Y/%m/%d}/story-{n - k}",
            "date": when,
            "summary": para(ir, ir.randint(1, 5))[:700],
            "content": html_body(ir, ir.randint(2000, 8000)) if full else None,
            "author": f"{ir.choice(WORDS).title()} {ir.choice(WORDS).title()}",
            "cats": sorted({ir.choice(WORDS) for _ in range(ir.randint(0, 3))}),
        })
    return r, out

def rss(i, items):
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
             'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
             'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>\n'
             f"<title>Site {i} news</title>\n<link>https://site{i}.example/</link>\n"
             f"<description>Latest stories from site {i}</description>\n<language>en</language>\n"
             f"<lastBuildDate>{items[0]['date']:%a, %d %b %Y %H:%M:%S +0000}</lastBuildDate>\n"]
    for it in items:
        parts.append(
            f"<item>\n<title>{escape(it['title'])}</title>\n<link>{it['link']}</link>\n"
            f"<guid isPermaLink=\"true\">{it['link']}</guid>\n"
            f"<pubDate>{it['date']:%a, %d %b %Y %H:%M:%S +0000}</pubDate>\n"
            f"<dc:creator>{escape(it['author'])}</dc:creator>\n"
            + "".join(f"<category>{c}</category>\n" for c in it["cats"])
            + f"<description>{escape(it['summary'])}</description>\n"
            + (f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>\n" if it["content"] else "")
            + "</item>\n")
    parts.append("</channel>\n</rss>\n")
    return "".join(parts)

def atom(i, items):
    parts = ['<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom">\n'
             f"<title>Site {i} journal</title>\n<id>tag:site{i}.example,2026:feed</id>\n"
             f'<link rel="alternate" href="https://site{i}.example/"/>\n'
             f"<updated>{items[0]['date']:%Y-%m-%dT%H:%M:%SZ}</updated>\n"]
    for it in items:
        parts.append(
            f"<entry>\n<title>{escape(it['title'])}</title>\n<id>tag:site{i}.example,2026:{it['n']}</id>\n"
            f'<link rel="alternate" href="{it["link"]}"/>\n'
            f"<published>{it['date']:%Y-%m-%dT%H:%M:%SZ}</published>\n<updated>{it['date']:%Y-%m-%dT%H:%M:%SZ}</updated>\n"
            f"<author><name>{escape(it['author'])}</name></author>\n"
            + "".join(f'<category term="{c}"/>\n' for c in it["cats"])
            + f'<summary type="text">{escape(it["summary"])}</summary>\n'
            + (f'<content type="html">{escape(it["content"])}</content>\n' if it["content"] else "")
            + "</entry>\n")
    parts.append("</feed>\n")
    return "".join(parts)

def write(d, i, extra):
    r, items = items_for(i, extra)
    doc = rss(i, items) if r.random() < 0.6 else atom(i, items)
    path = os.path.join(d, "f", f"{i:05d}.xml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
    mtime = BASE_MTIME + (3600 if extra else 0)
    os.utime(path, (mtime, mtime))
    return len(items), len(doc)

def main():
    d, n = sys.argv[1], int(sys.argv[2])
    bump = "--bump" in sys.argv
    os.makedirs(os.path.join(d, "f"), exist_ok=True)
    items = size = touched = added = 0
    for i in range(n):
        if bump:
            if i % 4:
                continue
            extra = random.Random(-1 - i).randint(1, 5)
            c, s = write(d, i, extra); touched += 1; added += extra
        else:
            c, s = write(d, i, 0)
        items += c; size += s
    if bump:
        print(f"bumped {touched} feeds: +{added} items")
    else:
        print(f"{n} feeds, {items} items, {size / 1e6:.1f} MB")

if __name__ == "__main__":
    main()
