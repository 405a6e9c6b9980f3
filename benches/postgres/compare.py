#!/usr/bin/env python3
"""Whether two served RSS documents list the same items (guid and title, in
order); self links differ by port and are ignored.

    compare.py A.xml B.xml      prints "identical: N items" or the first difference
"""
import re, sys

def items(path):
    text = open(path, encoding="utf-8").read()
    out = []
    for item in re.findall(r"<item>(.*?)</item>", text, re.S):
        guid = re.search(r"<guid[^>]*>(.*?)</guid>", item, re.S)
        title = re.search(r"<title>(.*?)</title>", item, re.S)
        out.append((guid and guid.group(1), title and title.group(1)))
    return out

a, b = items(sys.argv[1]), items(sys.argv[2])
if a == b:
    print(f"identical: {len(a)} items")
else:
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    print(f"DIFFERENT: {len(a)} vs {len(b)} items, first difference at {first}")
    sys.exit(1)
