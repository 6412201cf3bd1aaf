#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks that the source tree keeps its layout (doc/wire-formats.md, issue 9):

 1. no meson.build of a component names a file of another component (a path
    such as '../uicc-emu/transport/frame.c', or project_source_root() /
    'uicc-emu' / ...), nor uses a library or dependency another component
    declares (lib's may be used by all);
 2. no #include of a component reaches into another component; lib/'s public
    headers (simota/...) are open to every component, lib/'s other headers
    to lib/ only;
 3. no include cycle between folders (a folder that includes a header of a
    folder that includes it back, or a longer loop).  A component's top folder
    is a folder like the others: main.c next to the component's shared headers
    makes a cycle with every folder that uses them.  Cycles the issue leaves to
    another change are listed in tests/layout-known-cycles.txt (a folder set
    and who removes it); a cycle within a listed set is reported as KNOWN, any
    other fails.

Components: lib, uicc-emu, ota-test-server, ota-cli, plugin, agent, modem-emu.
tests/ and bench/ may use anything and are not checked.  Prints what it finds
and exits 1 if anything breaks a rule.

    tests/check-layout.py [SOURCE_ROOT]
    tests/check-layout.py --self-test    (the check finds each kind of breach in a made-up tree)
"""
import os
import re
import sys

COMPONENTS = ["lib", "uicc-emu", "ota-test-server", "ota-cli", "plugin", "agent", "modem-emu"]
PUBLIC = os.path.join("lib", "simota")          # what every component may include
SOURCE_EXT = (".c", ".h")

INCLUDE_RE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]', re.M)
STRING_RE = re.compile(r"'((?:[^'\\]|\\.)*)'")
ROOT_PATH_RE = re.compile(r"(?:project_)?source_root\(\)\s*/\s*'([^']+)'")
DECL_RE = re.compile(r"^\s*(\w+)\s*=\s*(declare_dependency|static_library|shared_library|library|"
                     r"shared_module|executable|include_directories)\b", re.M)


def component_of(rel):
    top = rel.split(os.sep, 1)[0]
    return top if top in COMPONENTS else None


def walk(root, top, names=None, exts=None):
    base = os.path.join(root, top)
    for d, dirs, files in os.walk(base):
        dirs[:] = sorted(x for x in dirs if not x.startswith(".") and x != "build")
        for f in sorted(files):
            if (names and f in names) or (exts and f.endswith(exts)):
                yield os.path.relpath(os.path.join(d, f), root)


def strip_comments(text):
    """meson.build without its comments (a '#' outside a string starts one)."""
    out = []
    for line in text.splitlines():
        quoted = False
        for i, ch in enumerate(line):
            if ch == "'" and (i == 0 or line[i - 1] != "\\"):
                quoted = not quoted
            elif ch == "#" and not quoted:
                line = line[:i]
                break
        out.append(line)
    return "\n".join(out)


def meson_findings(root):
    """Rule 1."""
    out = []
    declared = {}                                   # variable -> component
    texts = {}
    for comp in COMPONENTS:
        if not os.path.isdir(os.path.join(root, comp)):
            continue
        for rel in walk(root, comp, names={"meson.build"}):
            text = strip_comments(open(os.path.join(root, rel), encoding="utf-8").read())
            texts[rel] = text
            for m in DECL_RE.finditer(text):
                declared[m.group(1)] = comp
    for rel, text in texts.items():
        comp = component_of(rel)
        here = os.path.dirname(rel)
        for m in STRING_RE.finditer(text):
            s = m.group(1)
            if "/" not in s and not s.endswith(SOURCE_EXT):
                continue
            target = os.path.normpath(os.path.join(here, s))
            other = component_of(target)
            if other and other != comp and os.path.exists(os.path.join(root, target)):
                out.append("%s: names '%s', a path of %s/" % (rel, s, other))
        for m in ROOT_PATH_RE.finditer(text):
            other = m.group(1).split("/")[0]
            if other in COMPONENTS and other != comp:
                out.append("%s: names source_root() / '%s', a file of %s/" % (rel, m.group(1), other))
        for var, owner in sorted(declared.items()):
            if owner in (comp, "lib"):
                continue
            if re.search(r"(?<![\w'])%s(?![\w'])" % re.escape(var), text):
                out.append("%s: uses %s, which %s/ declares" % (rel, var, owner))
    return out


def resolve(root, rel, name):
    """The repository file an #include names, or None (a system header)."""
    comp = component_of(rel)
    candidates = [os.path.join(os.path.dirname(rel), name), name]
    if comp:
        candidates.append(os.path.join(comp, name))      # the component's include root
    candidates.append(os.path.join("lib", name))           # simota/... (and lib's own)
    candidates += [os.path.join(c, name) for c in COMPONENTS if c != comp]
    for c in candidates:
        c = os.path.normpath(c)
        if not c.startswith("..") and os.path.isfile(os.path.join(root, c)):
            return c
    return None


def include_edges(root):
    """(file, included file) for every #include of a component's sources that names a repository file."""
    edges = []
    for comp in COMPONENTS:
        if not os.path.isdir(os.path.join(root, comp)):
            continue
        for rel in walk(root, comp, exts=SOURCE_EXT):
            text = open(os.path.join(root, rel), encoding="utf-8", errors="replace").read()
            for m in INCLUDE_RE.finditer(text):
                target = resolve(root, rel, m.group(1))
                if target:
                    edges.append((rel, m.group(1), target))
    return edges


def include_findings(edges):
    """Rule 2."""
    out = []
    for rel, name, target in edges:
        comp, other = component_of(rel), component_of(target)
        if other is None or other == comp:
            continue
        if other == "lib" and os.path.dirname(target) == PUBLIC:
            continue
        what = "lib/'s internal header" if other == "lib" else "a header of %s/" % other
        out.append('%s: #include "%s" is %s (%s)' % (rel, name, what, target))
    return out


def cycle_findings(edges):
    """Rule 3: strongly connected components of the folder graph (Tarjan): (folders, text)."""
    graph = {}
    for rel, name, target in edges:
        a, b = os.path.dirname(rel), os.path.dirname(target)
        graph.setdefault(a, set())
        graph.setdefault(b, set())
        if a != b:
            graph[a].add(b)
    index, low, stack, on, sccs = {}, {}, [], set(), []
    counter = [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            scc = []
            while True:
                w = stack.pop()
                on.discard(w)
                scc.append(w)
                if w == v:
                    break
            if len(scc) > 1:
                sccs.append(sorted(scc))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            strong(v)
    out = []
    for scc in sccs:
        members = set(scc)
        pairs = {}
        for r, n, t in edges:
            a, b = os.path.dirname(r), os.path.dirname(t)
            if a in members and b in members and a != b:
                pairs.setdefault((a, b), "%s includes %s" % (r, n))
        why = ["%s -> %s (%s)" % (a, b, ex) for (a, b), ex in sorted(pairs.items())]
        out.append((frozenset(scc), "include cycle between folders %s:\n      %s" %
                    (", ".join(scc), "\n      ".join(why))))
    return out


def load_known(path):
    """Known cycles (folder sets) the issue has given to another change, with why."""
    known = []
    if not os.path.exists(path):
        return known
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        folders, _, why = line.partition("#")
        known.append((frozenset(folders.split()), why.strip()))
    return known


def self_test():
    """The check finds each kind of breach in a small made-up tree."""
    import tempfile

    files = {
        "lib/simota/codec.h": "",
        "lib/codec_internal.h": "",
        "lib/meson.build": "simota_dep = declare_dependency()\n",
        "uicc-emu/card/card.h": '#include "applets/applet.h"\n',
        "uicc-emu/applets/applet.h": '#include "card/card.h"\n#include "simota/codec.h"\n',
        "uicc-emu/transport/frame.c": "",
        "uicc-emu/meson.build": "uicc_dep = declare_dependency(link_with: x)  # not '../plugin/x.c'\n",
        "plugin/emu.c": '#include "transport/frame.h"\n#include "codec_internal.h"\n#include "simota/codec.h"\n'
                        '#include <glib.h>\n',
        "plugin/meson.build": "x = files('emu.c', '../uicc-emu/transport/frame.c')\n"
                              "y = meson.project_source_root() / 'uicc-emu' / 'x'\ndeps = [uicc_dep, simota_dep]\n",
        "uicc-emu/transport/frame.h": "",
        "tests/test.c": '#include "card/card.h"\n',
        "tests/meson.build": "t = files('../uicc-emu/transport/frame.c')\n",
    }
    with tempfile.TemporaryDirectory() as root:
        for rel, text in files.items():
            os.makedirs(os.path.join(root, os.path.dirname(rel)), exist_ok=True)
            with open(os.path.join(root, rel), "w", encoding="utf-8") as f:
                f.write(text)
        edges = include_edges(root)
        meson = meson_findings(root)
        inc = include_findings(edges)
        cyc = [t for _, t in cycle_findings(edges)]
    expect = [(meson, "plugin/meson.build: names '../uicc-emu/transport/frame.c'"),
              (meson, "plugin/meson.build: names source_root() / 'uicc-emu'"),
              (meson, "plugin/meson.build: uses uicc_dep"),
              (inc, 'plugin/emu.c: #include "transport/frame.h" is a header of uicc-emu/'),
              (inc, 'plugin/emu.c: #include "codec_internal.h" is lib/\'s internal header'),
              (cyc, "include cycle between folders uicc-emu/applets, uicc-emu/card")]
    bad = [want for found, want in expect if not any(f.startswith(want) for f in found)]
    extra = len(meson) + len(inc) + len(cyc) - len(expect)
    for want in bad:
        print("self-test: not found: %s" % want)
    if extra:
        print("self-test: %d finding(s) more than expected: %s" % (extra, meson + inc + cyc))
    print("self-test: %s" % ("FAIL" if bad or extra else "PASS"))
    return 1 if bad or extra else 0


def main():
    if sys.argv[1:] == ["--self-test"]:
        return self_test()
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    known_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "layout-known-cycles.txt")
    edges = include_edges(root)
    known = load_known(known_path)
    cycles, excused, used = [], [], set()
    for folders, text in cycle_findings(edges):
        # a cycle inside a known one (the same or smaller) waits for the change named there
        hit = [i for i, (k, _) in enumerate(known) if folders <= k]
        if hit:
            used.update(hit)
            excused.append("%s\n      known, left to: %s" % (text, known[hit[0]][1]))
        else:
            cycles.append(text)
    checks = [("meson.build names only its own component's files", meson_findings(root)),
              ("#include stays inside the component (or lib's simota/)", include_findings(edges)),
              ("no include cycle between folders", cycles)]
    bad = 0
    for title, findings in checks:
        print("%s: %s" % (title, "ok" if not findings else "%d finding(s)" % len(findings)))
        for f in findings:
            print("  " + f)
        bad += len(findings)
    for e in excused:
        print("  KNOWN " + e)
    for i, (k, why) in enumerate(known):
        if i not in used:
            print("  note: %s lists a cycle no longer found (%s): remove it" %
                  (os.path.basename(known_path), " ".join(sorted(k))))
    present = [c for c in COMPONENTS if os.path.isdir(os.path.join(root, c))]
    print("checked %d components (%s), %d includes of repository headers; tests/ and bench/ are free"
          % (len(present), ", ".join(present), len(edges)))
    print("FAIL" if bad else "PASS")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
