#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The installed example card config ships no usable key (doc/install.md).

usage: test-card-example.py UICC_EMU EXAMPLE CARD0_INI

  - no key of the demo card (CARD0_INI) is in the example, and each key line
    holds a placeholder;
  - uicc-emu refuses the example as it is, naming the group and the key;
  - with keys written in place of the placeholders (as a user does), uicc-emu
    runs it (run-script: SELECT MF answered 9000): the rest of it is a valid
    card.
TAP output.
"""
import os
import re
import subprocess
import sys
import tempfile


def keys(text):
    return re.findall(r"^(?:kic|kid)-key=(\S+)", text, re.M)


def main():
    uicc_emu, example, card0 = sys.argv[1:4]
    with open(example) as f:
        ex = f.read()
    with open(card0) as f:
        demo = f.read()
    print("1..3")
    failed = 0

    def ok(n, cond, what, detail=""):
        nonlocal failed
        print("%sok %d - %s" % ("" if cond else "not ", n, what))
        if not cond:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)

    leaked = [k for k in keys(demo) if k.lower() in ex.lower()]
    placeholders = keys(ex)
    ok(1, not leaked and placeholders and all(p.startswith("REPLACE-WITH-") for p in placeholders),
       "the example holds placeholders (%d), none of the demo card's keys" % len(placeholders),
       "leaked: %s; key values: %s" % (len(leaked), placeholders))

    with tempfile.TemporaryDirectory(prefix="stkbridge-card-example-") as tmp:
        cfg = os.path.join(tmp, "card0.ini")
        script = os.path.join(tmp, "mf.apdu")
        with open(script, "w") as f:
            f.write("00a4000c023f00 9000\n")

        def run(text):
            with open(cfg, "w") as f:
                f.write(text)
            os.chmod(cfg, 0o600)
            return subprocess.run([uicc_emu, "--config", cfg, "--state", os.path.join(tmp, "card0.state"),
                                   "run-script", script], capture_output=True, text=True)

        r = run(ex)
        ok(2, r.returncode == 2 and "[keyset 1] kic-key" in r.stderr,
           "uicc-emu refuses the example as shipped: %s" % r.stderr.strip(),
           "exit %d, stderr %r" % (r.returncode, r.stderr))

        demo_keys = iter(keys(demo))
        filled = re.sub(r"^((?:kic|kid)-key=)\S+", lambda m: m.group(1) + next(demo_keys), ex, flags=re.M)
        r = run(filled)
        ok(3, r.returncode == 0 and r.stdout.strip() == "9000",
           "with keys in place of the placeholders uicc-emu runs it",
           "exit %d, stdout %r, stderr %r" % (r.returncode, r.stdout, r.stderr))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
