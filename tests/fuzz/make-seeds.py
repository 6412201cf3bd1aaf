#!/usr/bin/env python3
"""Writes every hex string of the vector JSON files as a seed file (one corpus for all targets)."""
import hashlib, json, os, re, sys

def walk(node, out):
    if isinstance(node, dict):
        for v in node.values():
            walk(v, out)
    elif isinstance(node, list):
        for v in node:
            walk(v, out)
    elif isinstance(node, str) and len(node) >= 2 and len(node) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", node):
        out.add(bytes.fromhex(node))

def main():
    vectors, outdir = sys.argv[1], sys.argv[2]
    os.makedirs(outdir, exist_ok=True)
    seeds = set()
    for name in sorted(os.listdir(vectors)):
        if name.endswith(".json"):
            with open(os.path.join(vectors, name)) as f:
                walk(json.load(f), seeds)
    for s in seeds:
        with open(os.path.join(outdir, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print(f"{len(seeds)} seeds in {outdir}")

main()
