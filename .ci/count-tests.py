#!/usr/bin/env python3
"""Prints 'PASSED FAILED' for a meson testlog.json, counting each TAP point
(GTest subtest) of a test that printed TAP, and each other test once.  A test
that failed without a failing TAP point (crash, timeout) counts one failure."""
import json, re, sys

passed = failed = 0
with open(sys.argv[1]) as f:
    for line in f:
        t = json.loads(line)
        ok = t["result"] in ("OK", "EXPECTEDFAIL", "SKIP")
        points = re.findall(r"^(ok|not ok)\b", t.get("stdout") or "", re.M)
        p = sum(x == "ok" for x in points)
        n = sum(x == "not ok" for x in points)
        if not points:
            p, n = (1, 0) if ok else (0, 1)
        elif not ok and n == 0:
            n = 1
        passed += p
        failed += n
print(passed, failed)
