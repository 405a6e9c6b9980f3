"""Runs Python feedparser on the files listed by `corpus --list` (same files, same run).

Input lines: path \t expected-or-empty \t content-type. Prints matches on the
known-count files, more-than-expected, exceptions, and parse time (file reading
excluded, like the Rust side) over all files and over the known-count files."""
import sys, time, warnings
import feedparser

warnings.simplefilter("ignore")
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
matches = more = errors = known = 0
t_all = t_known = 0.0
mism = []
for path, expected, ctype in rows:
    data = open(path, "rb").read()
    headers = {"content-location": "http://example.com/feed.xml"}
    if ctype:
        headers["content-type"] = ctype
    t0 = time.perf_counter()
    try:
        n = len(feedparser.parse(data, response_headers=headers).entries)
    except Exception:
        errors += 1
        n = 0
    dt = time.perf_counter() - t0
    t_all += dt
    if expected == "":
        continue
    known += 1
    t_known += dt
    expected = int(expected)
    if n == expected:
        matches += 1
    else:
        mism.append(f"  {path}  expected={expected} feedparser={n}")
    if n > expected:
        more += 1
print(f"feedparser {feedparser.__version__}: matches {matches} / {known}, more than expected {more}, exceptions {errors}")
print(f"feedparser time: all files {t_all:.3f}s, known-count files {t_known:.3f}s")
print(f"FEEDPARSER_SECONDS all={t_all:.4f} known={t_known:.4f}")
print("feedparser mismatches:")
print("\n".join(mism))
