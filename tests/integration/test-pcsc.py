#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""uicc-emu through the real PC/SC stack: pcscd with the vsmartcard-vpcd
reader driver, uicc-emu --vpcd, and a libpcsclite client that selects
ADF.USIM and reads EF_IMSI.

Everything runs in private namespaces (unshare: mount, network, and PID so
the kernel kills whatever is left when the test ends): loopback only, the
vpcd port 35963 is ours, a tmpfs over /run/pcscd hides the host's pcscd, and
pcscd reads a private reader.conf.d holding only vpcd.  Needs root
(CAP_SYS_ADMIN) and the pcscd and vsmartcard-vpcd packages; exits 77 (skip)
with the reason when they are missing.

usage: test-pcsc.py UICC_EMU PCSC_READ_IMSI CARD0_INI
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uicc_client import Processes, expect, log, private_copy, wait_for, wait_socket  # noqa: E402

SKIP = 77
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
IMSI = "001010123456789"
NS_ENV = "UICC_PCSC_TEST_IN_NAMESPACE"
PCSCD_COMM = "/run/pcscd/pcscd.comm"


def skip(why):
    print("SKIP: " + why, flush=True)
    sys.exit(SKIP)


def enter_namespace():
    if os.geteuid() != 0:
        skip("needs root for unshare -m -n -p (mount, network and PID namespaces)")
    for prog in ("unshare", "ip", "pcscd"):
        if not shutil.which(prog) and not os.path.exists("/usr/sbin/" + prog):
            skip(prog + " not installed")
    if not os.path.exists(VPCD_DRIVER):
        skip("vsmartcard-vpcd not installed (%s)" % VPCD_DRIVER)
    env = dict(os.environ, **{NS_ENV: "1"})
    cmd = ["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation", "private",
           sys.executable] + sys.argv
    r = subprocess.run(cmd, env=env)
    sys.exit(r.returncode)


def run(exe, client, example):
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    tmp = tempfile.mkdtemp(prefix="uicc-pcsc-")
    # a private /run/pcscd (pcscd.comm lives there); the host's stays untouched
    if os.path.isdir("/run/pcscd"):
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/pcscd"], check=True)
    else:
        subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run"], check=True)
        os.mkdir("/run/pcscd")
    confd = os.path.join(tmp, "reader.conf.d")
    os.mkdir(confd)
    with open(os.path.join(confd, "vpcd"), "w") as f:
        # as vsmartcard-vpcd's /etc/reader.conf.d/vpcd: port 0x8C7B = 35963 (and 35964)
        f.write('FRIENDLYNAME "Virtual PCD"\n'
                "DEVICENAME   /dev/null:0x8C7B\n"
                "LIBPATH      %s\n"
                "CHANNELID    0x8C7B\n" % VPCD_DRIVER)
    cfg = private_copy(example, os.path.join(tmp, "card0.ini"))
    pcscd_log = open(os.path.join(tmp, "pcscd.log"), "w+")
    emu_log = open(os.path.join(tmp, "uicc-emu.log"), "w+")
    ok = False
    try:
        with Processes() as procs:
            pcscd = procs.start(["pcscd", "--foreground", "--info", "--config", confd],
                                stdout=pcscd_log, stderr=subprocess.STDOUT)
            # the card first: it retries until vpcd listens
            emu = procs.start([exe, "-v", "--config", cfg, "--state", os.path.join(tmp, "card0.state"),
                               "--vpcd", "127.0.0.1:35963"], stdout=emu_log, stderr=subprocess.STDOUT)

            def ready(proc, what):
                # pcsc-lite logs "daemon ready" before its run loop creates pcscd.comm
                def logged():
                    pcscd_log.seek(0)
                    return "daemon ready" in pcscd_log.read()
                wait_for(logged, 30, what, proc)
                wait_socket(PCSCD_COMM, proc)
            ready(pcscd, "pcscd ready")

            r = subprocess.run([client, "--pin", "1234", "--timeout", "40", "--reader", "Virtual PCD 00 00"],
                               capture_output=True, text=True, timeout=90)
            log(r.stdout.rstrip())
            if r.returncode != 0:
                raise AssertionError("pcsc-read-imsi failed (%d): %s" % (r.returncode, r.stderr))
            lines = dict(line.split(": ", 1) for line in r.stdout.splitlines() if ": " in line)
            expect(lines.get("imsi"), IMSI, "IMSI through pcscd")
            expect(lines.get("reader"), "Virtual PCD 00 00", "reader")
            if not lines.get("aid", "").startswith("a0000000871002"):
                raise AssertionError("USIM AID %r" % lines.get("aid"))

            # a second PC/SC session after the first one reset the card
            r = subprocess.run([client, "--pin", "1234", "--timeout", "40", "--reader", "Virtual PCD 00 00"],
                               capture_output=True, text=True, timeout=90)
            expect(r.returncode, 0, "second session (%s)" % r.stderr)

            # pcscd restarts: the card reconnects by itself
            expect(procs.stop(pcscd), 0, "pcscd exit status")
            pcscd_log.truncate(0)
            pcscd = procs.start(["pcscd", "--foreground", "--info", "--config", confd],
                                stdout=pcscd_log, stderr=subprocess.STDOUT)
            ready(pcscd, "pcscd ready again")
            r = subprocess.run([client, "--pin", "1234", "--timeout", "40", "--reader", "Virtual PCD 00 00"],
                               capture_output=True, text=True, timeout=90)
            expect(r.returncode, 0, "session after pcscd restart (%s)" % r.stderr)

            expect(procs.stop(emu, signal.SIGTERM), 0, "uicc-emu exit status")
            expect(procs.stop(pcscd), 0, "pcscd exit status")
            ok = True
    finally:
        if not ok:
            for name, f in (("pcscd", pcscd_log), ("uicc-emu", emu_log)):
                f.seek(0)
                print("---- %s log ----\n%s" % (name, f.read()[-6000:]), flush=True)
        pcscd_log.close()
        emu_log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    log("pcsc: ok")


def main():
    if os.environ.get(NS_ENV) != "1":
        enter_namespace()
    start = time.monotonic()
    run(*sys.argv[1:4])
    log("%.1f s" % (time.monotonic() - start))


if __name__ == "__main__":
    main()
