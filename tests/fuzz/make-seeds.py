#!/usr/bin/env python3
"""Usage: make-seeds.py INPUT... OUTDIR.  Writes every hex string of the JSON files
(INPUTs are files or directories of *.json) as a seed file: one corpus for all targets."""
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
    *inputs, outdir = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    seeds = set()
    files = []
    for path in inputs:
        if os.path.isdir(path):
            files += [os.path.join(path, n) for n in sorted(os.listdir(path)) if n.endswith(".json")]
        else:
            files.append(path)
    for path in files:
        with open(path) as f:
            walk(json.load(f), seeds)
    for s in seeds:
        with open(os.path.join(outdir, hashlib.sha1(s).hexdigest()), "wb") as f:
            f.write(s)
    print(f"{len(seeds)} seeds in {outdir}")

main()
