#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""modem-emu driven by Debian's qmicli (libqmi-utils), a client nobody here
wrote: `qmicli -p -d PATH ...` reaches it through the abstract socket
"qmi-proxy" as it would reach libqmi's own qmi-proxy.  The test runs in a
private network namespace (unshare -n), so the socket is its own and tests
run side by side; PATH is a character device the test creates (mknod, a
major with no driver) because libqmi checks the path.

Two modems in one modem-emu: A (no PIN, on a scripted netsim network) and
B (PIN 1234, no radio).  Every output is checked against what the SIM's
config holds.

usage: test-qmicli.py MODEM_EMU UICC_EMU
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
from control import request_line  # noqa: E402
from netsim_fake import FakeNetsim  # noqa: E402

ICCID_A, ICCID_B = "89882390000000000017", "89882390000000000025"
IMSI = "001010123456789"
MSISDN = "+15550001"
IMEI = "356938035643809"
PIN, PUK = "1234", "12345678"

CARD = """[card]
iccid=%s
imsi=001010123456789
msisdn=+15550001
smsc=+15550000
%s
[keyset 1]
kic=15
kid=15
kic-key=0123456789abcdeffedcba9876543210
kid-key=112233445566778899aabbccddeeff00
[tar defe01]
applet=deferred
keysets=1
min-security-level=16
ir=fixed:30
"""


def log(msg):
    print("# " + msg, flush=True)


def expect(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


def swapped_bcd(digits):
    d = digits + ("f" if len(digits) % 2 else "")
    return "".join(d[i + 1] + d[i] for i in range(0, len(d), 2))


class Emu:
    def __init__(self, tmp, modem_emu, uicc_emu, netsim_port):
        self.tmp = tmp
        self.ctl = os.path.join(tmp, "control.sock")
        self.dev_a = os.path.join(tmp, "cdc-wdm0")
        self.dev_b = os.path.join(tmp, "cdc-wdm1")
        for i, dev in enumerate((self.dev_a, self.dev_b)):
            os.mknod(dev, 0o600 | 0o020000, os.makedev(4000, i))   # S_IFCHR, no driver behind it
        for name, iccid, pin in (("a", ICCID_A, None), ("b", ICCID_B, PIN)):
            path = os.path.join(tmp, name + ".ini")
            with open(path, "w") as f:
                f.write(CARD % (iccid, "pin=%s\npuk=%s" % (pin, PUK) if pin else ""))
            os.chmod(path, 0o600)
        self.log_path = os.path.join(tmp, "modem-emu.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [modem_emu, "-v", "--control", "unix:" + self.ctl, "--uicc-emu", uicc_emu, "--run-dir", tmp,
             "--modem", "%s,card=%s/a.ini,state=%s/a.state,netsim=tcp:127.0.0.1:%d,imei=%s"
             % (self.dev_a, tmp, tmp, netsim_port, IMEI),
             "--modem", "%s,card=%s/b.ini,state=%s/b.state" % (self.dev_b, tmp, tmp)],
            stdout=self.log, stderr=subprocess.STDOUT)
        end = time.monotonic() + 15
        while not os.path.exists(self.ctl):
            if self.proc.poll() is not None or time.monotonic() > end:
                raise AssertionError("modem-emu did not start (log %s)" % self.log_path)
            time.sleep(0.01)

    def control(self, line):
        return request_line(self.ctl, line)

    def status(self, i):
        return json.loads(self.control("status"))["modems"][i]

    def wait(self, i, member, value, timeout=15):
        end = time.monotonic() + timeout
        while True:
            got = self.status(i)[member]
            if got == value:
                return
            if time.monotonic() > end:
                raise AssertionError("modem %d: %s stayed %r, expected %r (log %s)"
                                     % (i, member, got, value, self.log_path))
            time.sleep(0.02)

    def stop(self):
        self.proc.terminate()
        expect(self.proc.wait(timeout=15), 0, "modem-emu exit status after SIGTERM")
        self.log.close()


def qmicli(dev, *args, ok=True):
    """qmicli through the proxy socket; its stdout (warnings about the transport type go to stderr)."""
    r = subprocess.run(["qmicli", "-p", "--device-open-qmi", "-d", dev] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30, text=True)
    out = "\n".join(l for l in r.stdout.splitlines() if "-Warning **" not in l)
    if ok and r.returncode != 0:
        raise AssertionError("qmicli %s failed (%d):\n%s" % (" ".join(args), r.returncode, out))
    if not ok and r.returncode == 0:
        raise AssertionError("qmicli %s succeeded, expected a failure:\n%s" % (" ".join(args), out))
    return out


def field(out, name):
    m = re.search(r"^\s*%s:\s*'([^']*)'" % re.escape(name), out, re.M)
    if not m:
        raise AssertionError("no %s in:\n%s" % (name, out))
    return m.group(1)


def read_result(out):
    m = re.search(r"Read result:\s*\n((?:\s*[0-9A-F:]+\s*\n?)+)", out)
    if not m:
        raise AssertionError("no read result in:\n" + out)
    return re.sub(r"[\s:]", "", m.group(1)).lower()


def check_dms(e):
    out = qmicli(e.dev_a, "--dms-get-ids")
    expect(field(out, "IMEI"), IMEI, "DMS Get IDs: IMEI (imei=)")
    out = qmicli(e.dev_a, "--dms-get-revision")
    if "modem-emu" not in field(out, "Revision"):
        raise AssertionError("revision: " + out)
    expect(field(qmicli(e.dev_a, "--dms-get-manufacturer"), "Manufacturer"), "stkbridge", "manufacturer")
    expect(field(qmicli(e.dev_a, "--dms-get-model"), "Model"), "modem-emu", "model")
    expect(field(qmicli(e.dev_a, "--dms-get-msisdn"), "MSISDN"), MSISDN, "DMS Get MSISDN (EF_MSISDN)")
    expect(field(qmicli(e.dev_a, "--dms-uim-get-iccid"), "ICCID"), ICCID_A, "DMS UIM Get ICCID (EF_ICCID)")
    expect(field(qmicli(e.dev_a, "--dms-uim-get-imsi"), "IMSI"), IMSI, "DMS UIM Get IMSI (EF_IMSI)")
    expect(field(qmicli(e.dev_a, "--dms-get-operating-mode"), "Mode"), "online", "operating mode")
    log("DMS: IDs, revision, manufacturer, model, MSISDN, ICCID, IMSI, operating mode")


def check_nas(e, net):
    out = qmicli(e.dev_a, "--nas-get-serving-system")
    expect(field(out, "Registration state"), "registered", "registration on the netsim link")
    expect(field(out, "PS"), "attached", "PS attach")
    expect(field(out, "MCC"), "1", "MCC of the IMSI")
    expect(field(out, "MNC"), "1", "MNC of the IMSI")
    out = qmicli(e.dev_a, "--nas-get-signal-info")
    expect(field(out, "RSSI"), "-65 dBm", "LTE RSSI")
    out = qmicli(e.dev_a, "--nas-get-signal-strength")
    if "-65 dBm" not in out:
        raise AssertionError("signal strength:\n" + out)
    out = qmicli(e.dev_a, "--nas-get-home-network")
    expect(field(out, "MCC"), "1", "home MCC")
    # the link lost: searching; the server back: registered again
    net.accepting = False
    net.drop()
    e.wait(0, "registration", "searching")
    expect(field(qmicli(e.dev_a, "--nas-get-serving-system"), "Registration state"),
           "not-registered-searching", "registration without the link")
    qmicli(e.dev_a, "--nas-get-signal-strength", ok=False)
    net.accepting = True
    e.wait(0, "registration", "home")
    expect(field(qmicli(e.dev_a, "--nas-get-serving-system"), "Registration state"), "registered",
           "registration after the link came back")
    # low power: the radio off; online again
    qmicli(e.dev_a, "--dms-set-operating-mode=low-power")
    e.wait(0, "registration", "off")
    expect(field(qmicli(e.dev_a, "--nas-get-serving-system"), "Registration state"), "not-registered",
           "registration in low power")
    qmicli(e.dev_a, "--dms-set-operating-mode=online")
    e.wait(0, "registration", "home")
    # modem B has no radio at all
    expect(field(qmicli(e.dev_b, "--nas-get-serving-system"), "Registration state"), "not-registered",
           "a modem without netsim")
    log("NAS: serving system, signal info/strength, home network; link lost and back; low power")


def check_uim_files(e):
    out = qmicli(e.dev_a, "--uim-get-card-status")
    expect(field(out, "Card state"), "present", "card state")
    expect(field(out, "Application type"), "usim (2)", "application type")
    expect(field(out, "Application state"), "ready", "application state")
    expect(field(out, "PIN1 state"), "disabled", "PIN1 of card A")
    out = qmicli(e.dev_a, "--uim-read-transparent=0x3F00,0x2FE2")
    expect(read_result(out), swapped_bcd(ICCID_A), "EF_ICCID through UIM Read Transparent")
    out = qmicli(e.dev_a, "--uim-read-record=record-number=1,record-length=28,file=0x3F00-0x7FFF-0x6F40")
    expect(read_result(out), "ff" * 14 + "0591" + swapped_bcd(MSISDN[1:]) + "ff" * 8,
           "EF_MSISDN record 1 through UIM Read Record")
    out = qmicli(e.dev_a, "--uim-get-file-attributes=0x3F00,0x7FFF,0x6F07")
    if not re.search(r"File size: 9\b", out) or "File type: transparent" not in out or \
            "Read security attributes: (single) pin1" not in out:
        raise AssertionError("EF_IMSI attributes:\n" + out)
    out = qmicli(e.dev_a, "--uim-get-file-attributes=0x3F00,0x7FFF,0x6F40")
    if "File type: linear-fixed" not in out or not re.search(r"Record size: 28\b", out):
        raise AssertionError("EF_MSISDN attributes:\n" + out)
    out = qmicli(e.dev_a, "--uim-read-transparent=0x3F00,0x7FFF,0x6FFF", ok=False)
    if "SimFileNotFound" not in out:
        raise AssertionError("a file the card does not have:\n" + out)
    log("UIM: card status, EF_ICCID, EF_MSISDN record, file attributes with EF_ARR rules, missing file")


def check_uim_pins(e):
    out = qmicli(e.dev_b, "--uim-get-card-status")
    expect(field(out, "PIN1 state"), "enabled-not-verified", "PIN1 of card B")
    expect(field(out, "Application state"), "pin1-or-upin-pin-required", "B before VERIFY")
    expect(field(out, "PIN1 retries"), "3", "PIN1 retries")
    # nothing PIN1 protects before VERIFY
    qmicli(e.dev_b, "--dms-uim-get-imsi", ok=False)
    out = qmicli(e.dev_b, "--uim-verify-pin=PIN1,0000", ok=False)
    if "IncorrectPin" not in out or not re.search(r"Verify: 2\b", out):
        raise AssertionError("a wrong PIN:\n" + out)
    qmicli(e.dev_b, "--uim-verify-pin=PIN1,%s" % PIN)
    e.wait(1, "imsi", IMSI)
    out = qmicli(e.dev_b, "--uim-get-card-status")
    expect(field(out, "PIN1 state"), "enabled-verified", "PIN1 after VERIFY")
    expect(field(out, "Application state"), "ready", "B after VERIFY")
    expect(field(qmicli(e.dev_b, "--dms-uim-get-imsi"), "IMSI"), IMSI, "EF_IMSI read once PIN1 allows it")
    # change and back; disable and enable protection
    qmicli(e.dev_b, "--uim-change-pin=PIN1,%s,4321" % PIN)
    qmicli(e.dev_b, "--uim-change-pin=PIN1,4321,%s" % PIN)
    qmicli(e.dev_b, "--uim-set-pin-protection=PIN1,disable,%s" % PIN)
    e.wait(1, "pin1", "disabled")
    qmicli(e.dev_b, "--uim-set-pin-protection=PIN1,enable,%s" % PIN)
    e.wait(1, "pin1", "verified")
    # three wrong: blocked; the PUK unblocks it with a new PIN
    for left in ("2", "1"):
        out = qmicli(e.dev_b, "--uim-verify-pin=PIN1,9999", ok=False)
        if not re.search(r"Verify: %s\b" % left, out):
            raise AssertionError("wrong PIN, %s left:\n%s" % (left, out))
    out = qmicli(e.dev_b, "--uim-verify-pin=PIN1,9999", ok=False)
    if "PinBlocked" not in out:
        raise AssertionError("the third wrong PIN:\n" + out)
    e.wait(1, "pin1", "blocked")
    expect(field(qmicli(e.dev_b, "--uim-get-card-status"), "Application state"),
           "puk1-or-upin-puk-required", "B blocked")
    qmicli(e.dev_b, "--uim-unblock-pin=PIN1,%s,%s" % (PUK, PIN))
    e.wait(1, "pin1", "verified")
    log("UIM PINs: verify (wrong, right), change, protection off/on, blocked, unblock with the PUK")


def check_wms(e):
    out = qmicli(e.dev_a, "--wms-get-routes")
    if "Got 5 SMS routes" not in out or "Receipt Action: store-and-notify" not in out:
        raise AssertionError("default routes:\n" + out)
    qmicli(e.dev_a, "--wms-set-routes=type=point,class=2,storage=none,receipt-action=transfer-only")
    out = qmicli(e.dev_a, "--wms-get-routes")
    route3 = out.split("Route #3:")[1].split("Route #4:")[0]
    if "Message Class: 2" not in route3 or "Receipt Action: transfer-only" not in route3 or \
            "Storage Type: none" not in route3:
        raise AssertionError("class 2 route after Set Routes:\n" + out)
    out = qmicli(e.dev_a, "--wms-get-supported-messages")
    # Raw Send, Raw Read, Delete, List Messages, Set Routes, Send Ack
    for name in ("0x0020", "0x0022", "0x0024", "0x0031", "0x0032", "0x0037"):
        if not re.search(r"^\s*%s$" % name, out, re.M):
            raise AssertionError("%s not among the supported WMS messages:\n%s" % (name, out))
    out = qmicli(e.dev_a, "--uim-get-supported-messages")
    # Read Transparent, Verify PIN, Get Card Status
    for name in ("0x0020", "0x0026", "0x002F"):
        if not re.search(r"^\s*%s$" % name, out, re.M):
            raise AssertionError("%s not among the supported UIM messages:\n%s" % (name, out))
    log("WMS: routes got and set, supported messages (qmicli 1.32 has no list/read/delete: the C test does them)")


def check_sim_removal(e):
    e.control("sim-remove " + e.dev_a)
    expect(field(qmicli(e.dev_a, "--uim-get-card-status"), "Card state"), "absent", "SIM removed")
    expect(field(qmicli(e.dev_a, "--nas-get-serving-system"), "Registration state"), "not-registered",
           "no SIM, no registration")
    qmicli(e.dev_a, "--uim-read-transparent=0x3F00,0x2FE2", ok=False)
    e.control("sim-insert " + e.dev_a)
    e.wait(0, "registration", "home")
    expect(field(qmicli(e.dev_a, "--uim-get-card-status"), "Card state"), "present", "SIM back")
    log("control: sim-remove / sim-insert")


def main():
    if len(sys.argv) != 3:
        print(__doc__)
        return 2
    if shutil.which("qmicli") is None:
        print("1..0 # SKIP qmicli (libqmi-utils) not installed")
        return 77
    if os.environ.get("MODEM_QMICLI_NETNS") != "1":
        # a network namespace of our own: the abstract socket "qmi-proxy" is ours alone
        env = dict(os.environ, MODEM_QMICLI_NETNS="1")
        return subprocess.call(["unshare", "-n", sys.executable, os.path.abspath(__file__)] + sys.argv[1:],
                               env=env)
    subprocess.check_call(["ip", "link", "set", "lo", "up"])
    tmp = tempfile.mkdtemp(prefix="modem-qmicli-")
    net = FakeNetsim()
    e = None
    ok = False
    try:
        e = Emu(tmp, sys.argv[1], sys.argv[2], net.port)
        e.wait(0, "registration", "home")
        e.wait(1, "sim", "ready")
        hello = net.wait_connected()
        expect((hello["iccid"], hello["msisdn"]), (ICCID_A, MSISDN), "HELLO: the SIM's ICCID and MSISDN")
        check_dms(e)
        check_nas(e, net)
        check_uim_files(e)
        check_uim_pins(e)
        check_wms(e)
        check_sim_removal(e)
        e.stop()
        e = None
        ok = True
    finally:
        if e is not None:
            e.proc.kill()
            e.proc.wait()
            print(open(e.log_path).read()[-6000:], file=sys.stderr)
        net.close()
        if ok:
            shutil.rmtree(tmp)
        else:
            log("kept " + tmp)
    print("ok - qmicli against modem-emu")
    return 0


if __name__ == "__main__":
    sys.exit(main())
