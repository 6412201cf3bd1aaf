#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The man pages as a reader gets them: each built page rendered by
`man -l` on an 80-column terminal, with groff's warnings on.

usage: test-man.py PAGE...

Each page must render without a warning, its NAME section must name the
page, it must have a SYNOPSIS and a SEE ALSO, no rendered line may be
wider than 80 columns, and every page it refers to in SEE ALSO that
stkbridge ships must be among the pages given.  TAP output; skipped when
man (man-db) or groff is not installed.
"""
import os
import re
import shutil
import subprocess
import sys


def render(path):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="0", MANPAGER="cat", PAGER="cat")
    return subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", path], capture_output=True, text=True, env=env)


def main():
    pages = sys.argv[1:]
    for tool in ("man", "groff"):
        if shutil.which(tool) is None:
            print("1..0 # SKIP %s not installed (Debian packages man-db, groff-base)" % tool)
            return 0
    ours = {os.path.basename(p).rsplit(".", 1)[0]: p for p in pages}
    shipped = {"uicc-emu", "ota-test-server", "ota-cli", "stkbridge-agent", "modem-emu",
               "stkbridge.conf", "stkbridge-card"}
    print("1..%d" % (2 * len(pages)))
    n, failed = 0, 0
    for path in pages:
        base = os.path.basename(path)
        name, section = base.rsplit(".", 1)
        r = render(path)
        text = re.sub(r".\x08", "", r.stdout)          # overstrike, if any
        problems = []
        if r.returncode != 0:
            problems.append("man exited %d" % r.returncode)
        if r.stderr.strip():
            problems.append("warnings:\n" + r.stderr.strip())
        wide = [l for l in text.splitlines() if len(l) > 80]
        if wide:
            problems.append("lines over 80 columns:\n" + "\n".join(wide))
        n += 1
        print("%sok %d - %s renders without warnings within 80 columns" % ("not " if problems else "", n, base))
        for p in problems:
            for line in p.splitlines():
                print("# " + line)
        failed += bool(problems)

        problems = []
        m = re.search(r"^NAME\n\s+(\S+) - \S", text, re.M)
        if not m or m.group(1) != name:
            problems.append("NAME does not start with '%s - ...'" % name)
        for section_name in ("SYNOPSIS", "DESCRIPTION", "SEE ALSO"):
            if not re.search(r"^%s$" % section_name, text, re.M):
                problems.append("no %s section" % section_name)
        see = text.split("\nSEE ALSO\n", 1)[-1]
        for ref in re.findall(r"([A-Za-z0-9_.-]+)\((\d)\)", see):
            if ref[0] in shipped and ref[0] not in ours:
                problems.append("SEE ALSO %s(%s): not among the pages built" % ref)
        n += 1
        print("%sok %d - %s: NAME, SYNOPSIS, DESCRIPTION, SEE ALSO" % ("not " if problems else "", n, base))
        for p in problems:
            print("# " + p)
        failed += bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
