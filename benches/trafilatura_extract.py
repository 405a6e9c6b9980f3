"""Runs trafilatura on benchmark pages, for comparison with `tidings extract`.

usage: trafilatura_extract.py OUTDIR URLS.json PAGE.html.gz...

Writes OUTDIR/<id>.txt per page (empty when trafilatura finds nothing) and
OUTDIR/_run.json with pages_per_s (CPU time inside trafilatura.extract only,
one thread, like the figure `tidings extract` prints). URLS.json is either
{"<id>": {"url": ...}} or {"pages": [{"id": ..., "url": ...}]}; only http(s)
URLs are passed on. Settings: trafilatura's standard extraction with
include_comments=False, include_tables=True.
"""
import gzip
import json
import os
import sys
import time

import trafilatura


def page_urls(path):
    data = json.load(open(path, encoding="utf-8"))
    if isinstance(data, dict) and "pages" in data:
        pairs = ((p["id"], p.get("url")) for p in data["pages"])
    else:
        pairs = ((k, v.get("url") if isinstance(v, dict) else v) for k, v in data.items())
    return {k: u for k, u in pairs if isinstance(u, str) and u.startswith(("http://", "https://"))}


def main():
    out, urls, files = sys.argv[1], page_urls(sys.argv[2]), sys.argv[3:]
    os.makedirs(out, exist_ok=True)
    spent = cpu = 0.0
    for f in files:
        raw = gzip.open(f, "rb").read() if f.endswith(".gz") else open(f, "rb").read()
        stem = os.path.basename(f).split(".")[0]
        start, cpu_start = time.perf_counter(), time.thread_time()
        text = trafilatura.extract(
            raw, url=urls.get(stem), include_comments=False, include_tables=True
        )
        spent += time.perf_counter() - start
        cpu += time.thread_time() - cpu_start
        with open(os.path.join(out, stem + ".txt"), "w", encoding="utf-8") as fh:
            fh.write((text or "") + "\n")
    rate, cpu_rate = len(files) / max(spent, 1e-9), len(files) / max(cpu, 1e-9)
    # CPU time is what a busy machine does not distort.
    json.dump({"pages_per_s": round(cpu_rate, 1)}, open(os.path.join(out, "_run.json"), "w"))
    print(f"trafilatura {trafilatura.__version__}: {len(files)} pages; "
          f"extract: {spent:.3f} s, {rate:.0f} pages/s on one thread "
          f"(CPU time {cpu:.3f} s, {cpu_rate:.0f} pages/s)", flush=True)


if __name__ == "__main__":
    main()
