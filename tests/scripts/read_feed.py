#!/usr/bin/env python3
"""Reads a feed the way a subscriber's reader does and prints what it saw, as JSON.

Usage: read_feed.py URL

RSS and Atom go through Python feedparser (the reference lenient parser);
feedparser cannot read JSON Feed, so JSON Feed is read with the json module and
mapped onto the same vocabulary. Prints {"bozo": 0|1, "entries": [...]}, each
entry with title, link, summary, content (tags stripped, entities decoded),
authors [{name, email}], published/updated (ISO 8601, UTC), tags, enclosures
[{href, type, length}] and source (the feed it names as its origin).
"""
import calendar
import datetime
import html
import json
import re
import sys
import urllib.request

TAG = re.compile(r"<[^>]*>")


def text(value):
    """Markup stripped, then entities decoded, whitespace collapsed."""
    if value is None:
        return None
    return " ".join(html.unescape(TAG.sub("", value)).split())


def iso(struct):
    if not struct:
        return None
    return datetime.datetime.fromtimestamp(calendar.timegm(struct), datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")


def from_feedparser(body, url, content_type):
    import feedparser
    d = feedparser.parse(body, response_headers={"content-location": url, "content-type": content_type})
    out = []
    for e in d.entries:
        authors = [{"name": a.get("name"), "email": a.get("email")} for a in e.get("authors", []) if a]
        if not authors and e.get("author_detail"):
            a = e["author_detail"]
            authors = [{"name": a.get("name"), "email": a.get("email")}]
        content = e.get("content") or []
        src = e.get("source") or {}
        out.append({
            "title": e.get("title"),
            "link": e.get("link"),
            "summary": text(e.get("summary")),
            "content": text(content[0].get("value")) if content else None,
            "authors": authors,
            "published": iso(e.get("published_parsed")),
            "updated": iso(e.get("updated_parsed")),
            "tags": [t.get("term") for t in e.get("tags", [])],
            "enclosures": [{"href": x.get("href"), "type": x.get("type"), "length": str(x.get("length", ""))}
                           for x in e.get("enclosures", [])],
            "source": src.get("title"),
        })
    return {"bozo": int(bool(d.bozo)), "bozo_exception": str(d.get("bozo_exception", "")), "entries": out}


def parse_date(s):
    if not s:
        return None
    d = datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))
    return d.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_json(body):
    doc = json.loads(body)
    out = []
    for it in doc.get("items", []):
        authors = []
        for a in it.get("authors") or []:
            url = a.get("url") or ""
            authors.append({"name": a.get("name"),
                            "email": url[7:] if url.startswith("mailto:") else None})
        out.append({
            "title": it.get("title"),
            "link": it.get("url"),
            "summary": it.get("summary"),
            "content": text(it.get("content_html")) if it.get("content_html") else it.get("content_text"),
            "authors": authors,
            "published": parse_date(it.get("date_published")),
            "updated": parse_date(it.get("date_modified")),
            "tags": it.get("tags", []),
            "enclosures": [{"href": a.get("url"), "type": a.get("mime_type"),
                            "length": str(a.get("size_in_bytes", ""))} for a in it.get("attachments", [])],
            "source": ((it.get("_tidings") or {}).get("source") or {}).get("name"),
        })
    ok = str(doc.get("version", "")).startswith("https://jsonfeed.org/version/1")
    return {"bozo": 0 if ok else 1, "bozo_exception": "", "entries": out}


def main():
    url = sys.argv[1]
    with urllib.request.urlopen(url, timeout=30) as r:
        body = r.read()
        ctype = r.headers.get("Content-Type", "")
    if "json" in ctype:
        print(json.dumps(from_json(body)))
    else:
        print(json.dumps(from_feedparser(body, url, ctype)))


if __name__ == "__main__":
    main()
