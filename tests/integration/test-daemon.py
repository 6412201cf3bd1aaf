#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""uicc-emu as a daemon over its unix socket (doc/uicc-transport.md):
reset/ATR, ADF.USIM + EF_IMSI, PIN, power off/on, clients in sequence,
several slots, kill -9 + restart keeping acknowledged state, run-script.

usage: test-daemon.py UICC_EMU CARD0_INI
"""

import os
import secrets
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uicc_client import (Card, DaemonLogs, Processes, encode_imsi, expect, expect_sw, log,  # noqa: E402
                         private_copy, select_usim, wait_socket)

IMSI = "001010123456789"
PIN = "1234"
VERIFY_PIN = "0020000108" + PIN.encode().hex() + "ff" * (8 - len(PIN))


LOGS = DaemonLogs("uicc-daemon")


def start_daemon(procs, exe, *args):
    p = LOGS.start(procs, [exe, "-v"] + list(args))
    for a in args:
        if a.startswith("unix:") or a.startswith("--listen=unix:"):
            wait_socket(a.split("unix:", 1)[1], p)
    return p


def read_imsi(card):
    select_usim(card)
    expect_sw(card.tx("00a4000c026f07"), 0x9000, "SELECT EF_IMSI")
    return expect_sw(card.tx("00b0000009"), 0x9000, "READ BINARY EF_IMSI")


def test_socket(exe, cfg, tmp, procs):
    sock = os.path.join(tmp, "card0.sock")
    state = os.path.join(tmp, "card0.state")
    d = start_daemon(procs, exe, "--config", cfg, "--state", state, "--listen", "unix:" + sock)
    expect(oct(os.stat(sock).st_mode & 0o777), oct(0o600), "socket mode")

    c = Card(sock)
    atr = c.atr()
    log("ATR %s" % atr.hex())
    if len(atr) < 2 or atr[0] not in (0x3B, 0x3F):
        raise AssertionError("bad ATR %s" % atr.hex())
    c.power_on()
    c.reset()
    expect(c.atr(), atr, "ATR after reset")

    # EF_IMSI needs PIN1 (TS 31.102 §4.2.2)
    select_usim(c)
    expect_sw(c.tx("00a4000c026f07"), 0x9000, "SELECT EF_IMSI")
    expect_sw(c.tx("00b0000009"), 0x6982, "READ BINARY EF_IMSI before VERIFY")
    expect_sw(c.tx(VERIFY_PIN), 0x9000, "VERIFY PIN1")
    data = expect_sw(c.tx("00b0000009"), 0x9000, "READ BINARY EF_IMSI")
    expect(data.hex(), encode_imsi(IMSI).hex(), "EF_IMSI")
    log("EF_IMSI %s" % data.hex())

    # power off/on: PIN verification and selection are gone
    c.power_off()
    c.power_on()
    expect(c.atr(), atr, "ATR after power cycle")
    select_usim(c)
    expect_sw(c.tx("00a4000c026f07"), 0x9000, "SELECT EF_IMSI after power cycle")
    expect_sw(c.tx("00b0000009"), 0x6982, "READ BINARY EF_IMSI after power cycle")
    expect_sw(c.tx(VERIFY_PIN), 0x9000, "VERIFY PIN1 after power cycle")
    expect(read_imsi(c).hex(), encode_imsi(IMSI).hex(), "EF_IMSI after power cycle")

    # a second client waits for the first, then gets a card that was powered off
    c2 = Card(sock)
    c2.send_frame(b"\x04")
    c2.sock.settimeout(0.3)
    try:
        c2.recv_frame()
        raise AssertionError("second client served while the first is connected")
    except TimeoutError:
        pass
    except OSError as e:  # socket.timeout on older Pythons
        if "timed out" not in str(e):
            raise
    c2.sock.settimeout(30)
    c.close()
    expect(c2.recv_frame(), atr, "second client's ATR")
    c2.power_on()
    select_usim(c2)
    expect_sw(c2.tx("00a4000c026f07"), 0x9000, "SELECT EF_IMSI (2nd client)")
    expect_sw(c2.tx("00b0000009"), 0x6982, "READ BINARY EF_IMSI (2nd client, PIN state reset)")

    # protocol error: unknown control byte drops the link, the daemon lives on
    c2.send_frame(b"\x03")
    try:
        c2.recv_frame()
        raise AssertionError("link kept after a protocol error")
    except (EOFError, ConnectionResetError):
        pass
    c2.close()
    c3 = Card(sock)
    expect(c3.atr(), atr, "ATR after a protocol error")
    c4 = Card(sock)   # waits behind c3

    # SIGTERM with one client served and one waiting: clean exit, both links closed
    expect(procs.stop(d), 0, "exit status after SIGTERM")
    for c_ in (c3, c4):
        try:
            c_.atr()
            raise AssertionError("link open after exit")
        except (EOFError, ConnectionResetError, BrokenPipeError):
            pass
        c_.close()
    expect(os.path.exists(sock), False, "socket removed at exit")
    log("socket: ok")


def test_kill9(exe, cfg, tmp, procs):
    """An UPDATE BINARY acknowledged before kill -9 is there after the restart;
    so is a PIN retry counter decremented by a wrong VERIFY."""
    sock = os.path.join(tmp, "k.sock")
    state = os.path.join(tmp, "k.state")
    args = ("--config", cfg, "--state", state, "--listen", "unix:" + sock)
    last = None
    for round_ in range(4):
        d = start_daemon(procs, exe, *args)
        c = Card(sock)
        c.power_on()
        select_usim(c)
        expect_sw(c.tx(VERIFY_PIN), 0x9000, "VERIFY PIN1")
        expect_sw(c.tx("00a4000c026f7e"), 0x9000, "SELECT EF_LOCI")
        if last is not None:
            got = expect_sw(c.tx("00b000000b"), 0x9000, "READ BINARY EF_LOCI")
            expect(got.hex(), last, "EF_LOCI after kill -9 and restart (round %d)" % round_)
        last = secrets.token_bytes(11).hex()
        expect_sw(c.tx("00d600000b" + last), 0x9000, "UPDATE BINARY EF_LOCI")
        # acknowledged: kill at once, the link still open
        os.kill(d.pid, signal.SIGKILL)
        d.wait()
        c.close()
        log("round %d: EF_LOCI %s acknowledged, daemon killed" % (round_, last))

    # PIN1 retry counter: a wrong VERIFY (63C2), kill -9, restart, still 2 left
    d = start_daemon(procs, exe, *args)
    c = Card(sock)
    c.power_on()
    select_usim(c)
    expect_sw(c.tx("002000010839393939ffffffff"), 0x63C2, "wrong VERIFY PIN1")
    os.kill(d.pid, signal.SIGKILL)
    d.wait()
    c.close()
    d = start_daemon(procs, exe, *args)
    c = Card(sock)
    c.power_on()
    select_usim(c)
    expect_sw(c.tx("00200001"), 0x6700, "VERIFY without P3 refused as a T=0 card does (ISO/IEC 7816-3 §12.2.2)")
    expect_sw(c.tx("0020000100"), 0x63C2, "PIN1 retries after kill -9 (VERIFY without data, P3 = 00)")
    expect_sw(c.tx(VERIFY_PIN), 0x9000, "VERIFY PIN1 (resets the counter)")
    c.close()
    expect(procs.stop(d), 0, "exit status")
    log("kill -9: ok")


def test_slots(exe, cfg, tmp, procs):
    cfg1 = private_copy(cfg, os.path.join(tmp, "card1.ini"),
                        {"imsi=001010123456789": "imsi=001010000000042",
                         "iccid=89882390000000000017": "iccid=89882390000000000025",
                         "pin=1234": "#pin"})
    s0, s1 = os.path.join(tmp, "s0.sock"), os.path.join(tmp, "s1.sock")
    d = start_daemon(procs, exe,
                     "--config", cfg, "--state", os.path.join(tmp, "s0.state"), "--listen", "unix:" + s0,
                     "--slot", "config=%s,state=%s,listen=unix:%s" % (cfg1, os.path.join(tmp, "s1.state"), s1))
    wait_socket(s1, d)
    a, b = Card(s0), Card(s1)
    a.power_on()
    b.power_on()
    select_usim(a)
    expect_sw(a.tx(VERIFY_PIN), 0x9000, "VERIFY PIN1 slot0")
    expect(read_imsi(a).hex(), encode_imsi(IMSI).hex(), "slot0 IMSI")
    # slot1 has no PIN: EF_IMSI readable at once
    expect(read_imsi(b).hex(), encode_imsi("001010000000042").hex(), "slot1 IMSI")
    a.close()
    b.close()
    expect(procs.stop(d), 0, "exit status")
    # two slots on one state file are refused
    p = subprocess.run([exe, "--config", cfg, "--state", os.path.join(tmp, "same.state"),
                        "--listen", "unix:" + os.path.join(tmp, "x.sock"),
                        "--config", cfg1, "--state", os.path.join(tmp, "same.state"),
                        "--listen", "unix:" + os.path.join(tmp, "y.sock")],
                       capture_output=True, text=True, timeout=20)
    expect(p.returncode, 2, "two slots on one state: exit status")
    if "in use" not in p.stderr:
        raise AssertionError("two slots on one state: %r" % p.stderr)
    log("slots: ok")


def test_run_script(exe, cfg, tmp):
    state = os.path.join(tmp, "script.state")
    script = os.path.join(tmp, "imsi.apdu")
    with open(script, "w") as f:
        f.write("# MF, then EF_ICCID (TS 102 221 §13.2)\n"
                "00a4000c023f00 9000\n"
                "00a4000c022fe2 9000\n"
                "00b000000a 9000\n"
                "reset\n"
                "%s 9000\n" % VERIFY_PIN)
    p = subprocess.run([exe, "--config", cfg, "--state", state, "run-script", script],
                       capture_output=True, text=True, timeout=20)
    expect(p.returncode, 0, "run-script exit status (stderr %r)" % p.stderr)
    lines = p.stdout.splitlines()
    expect(len(lines), 4, "run-script output lines %r" % lines)
    expect(lines[0], "9000", "SELECT MF line")
    expect(lines[2], "98883209000000000071 9000", "EF_ICCID line")
    expect(lines[3], "9000", "VERIFY line")
    if PIN in p.stdout + p.stderr:
        raise AssertionError("PIN printed")

    with open(script, "w") as f:
        f.write("00a4000c023f00 9000\n00a4000c026f07 9000\n00a4000c023f00 9000\n")
    p = subprocess.run([exe, "--config", cfg, "--state", state, "run-script", script],
                       capture_output=True, text=True, timeout=20)
    expect(p.returncode, 1, "run-script mismatch exit status")
    expect(len(p.stdout.splitlines()), 2, "lines up to the mismatch")
    if ":2: expected SW 9000, got " not in p.stderr:
        raise AssertionError("mismatch message %r" % p.stderr)
    log("run-script: ok")


def secrets_of(cfg):
    """Key values and the PIN, as they could appear in a log (hex and ASCII hex)."""
    found = [PIN.encode().hex()]
    with open(cfg) as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() in ("kic-key", "kid-key"):
                found.append(value.split("#")[0].strip().lower())
    return found


def test_no_secrets_in_logs(cfg):
    words = secrets_of(cfg)
    for path in LOGS.paths:
        with open(path) as f:
            text = f.read().lower()
        for w in words:
            if w in text:
                raise AssertionError("%s: secret %s... in the daemon log" % (path, w[:4]))
    log("no keys or PIN in %d daemon logs: ok" % len(LOGS.paths))


def test_config_mode_warning(exe, example, tmp):
    loose = private_copy(example, os.path.join(tmp, "loose.ini"))
    os.chmod(loose, 0o644)
    script = os.path.join(tmp, "empty.apdu")
    with open(script, "w") as f:
        f.write("00a4000c023f00 9000\n")
    p = subprocess.run([exe, "--config", loose, "--state", os.path.join(tmp, "loose.state"),
                        "run-script", script], capture_output=True, text=True, timeout=20)
    expect(p.returncode, 0, "run-script with a 0644 config")
    if "chmod 600" not in p.stderr:
        raise AssertionError("no warning for a 0644 key file: %r" % p.stderr)
    for w in secrets_of(loose):
        if w in (p.stdout + p.stderr).lower():
            raise AssertionError("secret printed")
    log("config mode warning: ok")


def test_reserved_tar_warning(exe, example, tmp):
    """Issue 9 defect 3: our applet on a TAR of TS 101 220 Annex D is warned about at start-up
    (naming file, group and key), and the example card, on a TAR of ours, gets no such warning."""
    script = os.path.join(tmp, "mf.apdu")
    with open(script, "w") as f:
        f.write("00a4000c023f00 9000\n")

    def start(cfg, name):
        p = subprocess.run([exe, "--config", cfg, "--state", os.path.join(tmp, name + ".state"),
                            "run-script", script], capture_output=True, text=True, timeout=20)
        expect(p.returncode, 0, "run-script with %s (stderr %r)" % (name, p.stderr))
        return p.stderr

    # b00002 (ISIM RFM): a reserved TAR the example card leaves free (its RFM sits on b00000/01/10)
    squatter = private_copy(example, os.path.join(tmp, "squatter.ini"), {"[tar defe01]": "[tar b00002]",
                                                                       "deferred@defe01": "deferred@b00002"})
    err = start(squatter, "squatter")
    want = "%s: [tar b00002] applet: deferred is an applet of ours, but TS 101 220 Annex D gives TAR " \
           "b00002 to ISIM RFM" % squatter
    if want not in err or "WARNING" not in err:
        raise AssertionError("no reserved-TAR warning: %r" % err)
    err = start(private_copy(example, os.path.join(tmp, "ours.ini")), "ours")
    if "Annex D" in err:
        raise AssertionError("warning for the example's own TAR: %r" % err)
    log("reserved-TAR warning: ok")


def main():
    exe, example = sys.argv[1], sys.argv[2]

    def body(tmp):
        with Processes() as procs:
            cfg = private_copy(example, os.path.join(tmp, "card0.ini"))
            test_socket(exe, cfg, tmp, procs)
            test_kill9(exe, cfg, tmp, procs)
            test_slots(exe, cfg, tmp, procs)
            test_run_script(exe, cfg, tmp)
            test_config_mode_warning(exe, example, tmp)
            test_reserved_tar_warning(exe, example, tmp)
        test_no_secrets_in_logs(cfg)
    LOGS.run(body)


if __name__ == "__main__":
    main()
