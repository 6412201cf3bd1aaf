#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The deferred applet of a uicc-emu daemon across kill -9 (doc/protocol.md §5:
an acknowledged state change is durable before the answer leaves the card).

1. C1 → IR, DISPLAY TEXT fetched, TERMINAL RESPONSE → R1 stored, MG fetched;
   kill -9; restart; C2 → R2S done with R1; release.
2. C1 → IR, DISPLAY TEXT fetched, kill -9 before the TERMINAL RESPONSE;
   restart; after TERMINAL PROFILE the session runs again; TR; C2 → R1.
3. The counter of keyset 1 survives too: a replayed packet gets PoR 02.

Secured packets are built and PoRs read with ota-cli (TS 102 225 / TS 31.115).

usage: test-deferred-kill9.py UICC_EMU OTA_CLI CARD0_INI
"""

import configparser
import json
import os
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from uicc_client import (Card, DaemonLogs, Processes, expect, expect_sw, log,  # noqa: E402
                         private_copy, wait_socket)

# card0.ini: [tar defe01] applet=deferred, ir=fixed:30, keyset 1, its SPI; keys read from the file
TAR = "defe01"
KEYS = []


def read_keys(cfg):
    """The OTA server imports the card config (issue 3): keyset 1 and the TAR's SPI."""
    ini = configparser.ConfigParser(inline_comment_prefixes=("#",), interpolation=None)
    ini.read(cfg)
    ks, tar = ini["keyset 1"], ini["tar " + TAR]
    KEYS[:] = ["--spi", tar["spi"], "--kic", ks["kic"], "--kid", ks["kid"],
               "--kic-key", ks["kic-key"], "--kid-key", ks["kid-key"]]

# doc/protocol.md §4 vectors
C1_DISPLAY = ("a02d80040000002a8101018213" + "Pay 25 € to ACME?".encode().hex() +
              "840505a12143f5850603010000" + "0e10")
IR_2A = "b00d80040000002a8605010000001e"
R2S_DONE_2A = "b20f80040000002a810101870100880100"
C1_2B = "a0108004" + "0000002b" + "8101018205" + "Hello".encode().hex()
IR_2B = "b00d80040000002b8605010000001e"
R2S_DONE_2B = "b20f80040000002b810101870100880100"

LOGS = DaemonLogs("uicc-deferred")


class Ota:
    """The OTA server's side: secured packets with ota-cli, one counter."""

    def __init__(self, cli):
        self.cli = cli
        self.cntr = 0

    def run(self, *args):
        p = subprocess.run([self.cli, "packet"] + list(args), capture_output=True, text=True)
        if p.returncode != 0:
            raise AssertionError("ota-cli %s: %s" % (args[0], p.stderr.strip()))
        return p.stdout.strip()

    def wrap(self, data_hex, cntr=None):
        if cntr is None:
            self.cntr += 1
            cntr = self.cntr
        return self.run("wrap", *KEYS, "--tar", TAR, "--cntr", "%010x" % cntr, "--data", data_hex)

    def unwrap_por(self, por_hex):
        return json.loads(self.run("unwrap-response", *KEYS, por_hex))


def ber_len(n):
    return bytes([n]) if n < 0x80 else bytes([0x81, n])


def sms_pp_envelope(packet_hex):
    """ENVELOPE D1 (TS 31.111 §7.1.1.2) of an SMS-DELIVER (TS 23.040 §9.2.2.1):
    OA 12345678, PID 7F, DCS F6, UDH 027000 + command packet."""
    ud = bytes.fromhex("027000" + packet_hex)
    tpdu = (bytes([0x44]) + bytes.fromhex("0881214365877ff6") + bytes.fromhex("42112421000040") +
            bytes([len(ud)]) + ud)
    body = bytes.fromhex("82028381") + b"\x8b" + ber_len(len(tpdu)) + tpdu
    return b"\xd1" + ber_len(len(body)) + body


def send(card, ota, msg_hex, cntr=None):
    """One message in a secured SMS-PP; returns (PoR as decoded by ota-cli, final SW)."""
    env = sms_pp_envelope(ota.wrap(msg_hex, cntr))
    data, sw = card.apdu("80c20000%02x%s" % (len(env), env.hex()))
    if sw >> 8 == 0x61:     # T=0: the PoR comes with GET RESPONSE (class 00)
        data, sw = card.apdu("00c00000%02x" % (sw & 0xFF))
    if not data:
        raise AssertionError("no PoR for %s (SW %04x)" % (msg_hex, sw))
    return ota.unwrap_por(data.hex()), sw


def fetch(card, sw, want_type):
    if sw >> 8 != 0x91:
        raise AssertionError("no proactive command pending (SW %04x)" % sw)
    cmd = expect_sw(card.apdu("80120000%02x" % (sw & 0xFF)), 0x9000, "FETCH")
    # D0 len 81 03 number type qualifier ...
    i = 3 if cmd[1] == 0x81 else 2
    expect(cmd[i] & 0x7F, 0x01, "command details tag")
    number, ctype, qual = cmd[i + 2], cmd[i + 3], cmd[i + 4]
    expect(ctype, want_type, "proactive command type")
    return number, ctype, qual, cmd


def terminal_response(card, number, ctype, qual):
    tr = bytes([0x81, 0x03, number, ctype, qual, 0x82, 0x02, 0x82, 0x81, 0x83, 0x01, 0x00])
    return card.apdu("80140000%02x%s" % (len(tr), tr.hex()))[1]


def start(procs, exe, cfg, state, sock):
    d = LOGS.start(procs, [exe, "-v", "--config", cfg, "--state", state, "--listen", "unix:" + sock])
    wait_socket(sock, d)
    c = Card(sock)
    c.power_on()
    return d, c


def profile(card):
    return card.apdu("801000000" + "4ffffffff")[1]


def kill9(d, c):
    os.kill(d.pid, signal.SIGKILL)
    d.wait()
    c.close()


def main():
    exe, cli, example = sys.argv[1], sys.argv[2], sys.argv[3]
    ota = Ota(cli)

    def body(tmp):
        with Processes() as procs:
            # the deferred sessions are the proactive commands this test follows: no SET UP MENU before them
            cfg = private_copy(example, os.path.join(tmp, "card0.ini"), without_menu=True)
            read_keys(cfg)
            state, sock = os.path.join(tmp, "card0.state"), os.path.join(tmp, "card0.sock")

            # 1. R1 stored, then kill -9 between C1 and C2
            d, c = start(procs, exe, cfg, state, sock)
            expect(profile(c), 0x9000, "TERMINAL PROFILE")
            por, sw = send(c, ota, C1_DISPLAY)
            expect((por["status"], por["data"]), ("00", IR_2A), "PoR of C1 (IR)")
            number, ctype, qual, _ = fetch(c, sw, 0x21)
            sw = terminal_response(c, number, ctype, qual)
            number, ctype, qual, cmd = fetch(c, sw, 0x13)          # the MG
            if bytes.fromhex("b10680040000002a") not in cmd:
                raise AssertionError("MG without B1: %s" % cmd.hex())
            expect(terminal_response(c, number, ctype, qual), 0x9000, "TR of the MG")
            kill9(d, c)
            log("R1 of 0000002a acknowledged, daemon killed")

            d, c = start(procs, exe, cfg, state, sock)
            expect(profile(c), 0x9000, "TERMINAL PROFILE after restart")
            por, sw = send(c, ota, "a10680040000002a")
            expect((por["status"], por["data"]), ("00", R2S_DONE_2A), "C2 after kill -9")
            por, sw = send(c, ota, "a20680040000002a")
            expect(por["data"], "b20980040000002a870107", "release")
            log("C2 after kill -9: R1 returned")

            # 2. kill -9 before the TERMINAL RESPONSE: the session runs again
            por, sw = send(c, ota, C1_2B)
            expect(por["data"], IR_2B, "IR of 0000002b")
            fetch(c, sw, 0x21)
            kill9(d, c)
            d, c = start(procs, exe, cfg, state, sock)
            sw = profile(c)
            number, ctype, qual, _ = fetch(c, sw, 0x21)
            sw = terminal_response(c, number, ctype, qual)
            number, ctype, qual, cmd = fetch(c, sw, 0x13)          # the MG to mg-address
            if bytes.fromhex("b10680040000002b") not in cmd:
                raise AssertionError("MG without B1: %s" % cmd.hex())
            expect(terminal_response(c, number, ctype, qual), 0x9000, "TR of the MG")
            por, sw = send(c, ota, "a10680040000002b")
            expect(por["data"], R2S_DONE_2B, "C2 of the session run again")
            log("pending session re-run after kill -9: ok")

            # 3. the OTA counter survived the kills: replaying counter 1 gets 02
            por, sw = send(c, ota, "a10680040000002b", cntr=1)
            expect((por["status"], por["data"]), ("02", ""), "replayed counter after restarts")
            c.close()
            expect(procs.stop(d), 0, "exit status")
    LOGS.run(body)


if __name__ == "__main__":
    main()
