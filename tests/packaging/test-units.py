#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The systemd units as installed (doc/install.md), checked by systemd itself.

usage: test-units.py BINDIR UNIT... -- PROGRAM...

For each UNIT (as meson configured it, its ExecStart= in BINDIR):
  - `systemd-analyze verify` finds nothing to say about it, with BINDIR/NAME
    pointed at the PROGRAM of that name from the build (verify checks that
    ExecStart= is executable); a template (NAME@.service) is verified as the
    instance NAME@test.service;
  - the sandbox the units promise is there: no capabilities, NoNewPrivileges,
    ProtectSystem=strict, ProtectHome, PrivateTmp, RestrictAddressFamilies,
    and nothing writable besides the directories systemd creates for it
    (StateDirectory=, RuntimeDirectory=, LogsDirectory=: no ReadWritePaths=);
  - `systemd-analyze security --offline=yes` rates its exposure 2.0 or less.
TAP output; skipped when systemd-analyze is not installed.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HARDENING = [("CapabilityBoundingSet", ""), ("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"),
             ("ProtectHome", "yes"), ("PrivateTmp", "yes"), ("PrivateDevices", "yes"),
             ("RestrictNamespaces", "yes"), ("SystemCallArchitectures", "native")]
MAX_EXPOSURE = 2.0


def directives(text):
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k.strip(), []).append(v.strip())
    return out


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    bindir, units, programs = args[0], args[1:sep], args[sep + 1:]
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        print("1..0 # SKIP systemd-analyze not installed (Debian package systemd)")
        return 0
    by_name = {os.path.basename(p): os.path.abspath(p) for p in programs}
    print("1..%d" % (3 * len(units)))
    n, failed = 0, 0

    def ok(cond, what, detail=""):
        nonlocal n, failed
        n += 1
        print("%sok %d - %s" % ("" if cond else "not ", n, what))
        if not cond:
            failed += 1
            for line in detail.splitlines():
                print("# " + line)

    with tempfile.TemporaryDirectory(prefix="stkbridge-units-") as tmp:
        for unit in units:
            name = os.path.basename(unit)
            with open(unit) as f:
                text = f.read()
            d = directives(text)

            # verify, with ExecStart= pointed at the built programs
            def to_build(m):
                prog = m.group(1)
                if prog not in by_name:
                    raise SystemExit("test-units.py: %s runs %s/%s, not given" % (name, bindir, prog))
                return by_name[prog]
            local = re.sub(re.escape(bindir.rstrip("/")) + r"/([A-Za-z0-9_.-]+)", to_build, text)
            inst = name.replace("@.", "@test.")
            path = os.path.join(tmp, inst)
            with open(path, "w") as f:
                f.write(local)
            r = subprocess.run([analyze, "verify", "--man=no", path], capture_output=True, text=True)
            said = (r.stdout + r.stderr).strip()
            ok(r.returncode == 0 and not said, "%s: systemd-analyze verify has nothing to say" % name,
               "exit %d\n%s" % (r.returncode, said))

            missing = [k + "=" + v for k, v in HARDENING if d.get(k, [None])[-1] != v]
            if not d.get("RestrictAddressFamilies"):
                missing.append("RestrictAddressFamilies=")
            if "ReadWritePaths" in d:
                missing.append("no ReadWritePaths= (writable: StateDirectory=, RuntimeDirectory=, LogsDirectory=)")
            ok(not missing, "%s: sandboxed (%s)" % (name, ", ".join(
                k for k in ("DynamicUser", "StateDirectory", "RuntimeDirectory", "LogsDirectory") if k in d)),
               "missing: " + "; ".join(missing))

            r = subprocess.run([analyze, "security", "--offline=yes", "--no-pager", path],
                               capture_output=True, text=True)
            m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
            exposure = float(m.group(1)) if m else 99.0
            ok(m is not None and exposure <= MAX_EXPOSURE,
               "%s: systemd-analyze security exposure %.1f (at most %.1f)" % (name, exposure, MAX_EXPOSURE),
               r.stdout[-3000:] + r.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
