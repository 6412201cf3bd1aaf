# SPDX-License-Identifier: GPL-2.0-or-later
"""One deferred transaction over a scripted netsim peer (netsim_fake.py),
with ota-cli building and opening the secured packets of card0's keys:
C1 by SMS-PP download (PoR with the IR in the RP-ACK), the applet's
DISPLAY TEXT at a test agent, the TERMINAL RESPONSE, the MG submitted, then
C2 and its R2S.  Shared by test-stk-smspp.py and test-resilience.py."""

import json
import subprocess

from harness import check, log
from netsim_fake import DELIVER_REPORT, SUBMIT, sms_deliver

KEYS = ["--kic", "15", "--kid", "15", "--kic-key", "0123456789abcdeffedcba9876543210",
        "--kid-key", "112233445566778899aabbccddeeff00"]
SPI = "1619"
TAR = "defe01"


def ota_cli(exe, *args):
    return subprocess.run([exe] + list(args), check=True, capture_output=True, text=True).stdout.strip()


def secured(exe, data_hex, cntr):
    return bytes.fromhex(ota_cli(exe, "packet", "wrap", "--spi", SPI, *KEYS, "--tar", TAR,
                                 "--cntr", "%010x" % cntr, "--data", data_hex))


def por_of(exe, report_tpdu):
    """The response packet in an SMS-DELIVER-REPORT (RP-ACK form, TP-PI 07), unwrapped."""
    check(report_tpdu[0] & 0x03 == 0x00, "DELIVER-REPORT MTI 00")
    pi = report_tpdu[1]
    check(pi & 0x07 == 0x07, lambda: "TP-PI: PID, DCS and UDL present (%02x)" % pi)
    check(report_tpdu[2] == 0x7F and report_tpdu[3] == 0xF6, "report PID 7F, DCS F6")
    udl = report_tpdu[4]
    ud = report_tpdu[5:5 + udl]
    check(len(ud) == udl and ud[:3] == bytes.fromhex("027100"), "UD is a response packet 027100...")
    return json.loads(ota_cli(exe, "packet", "unwrap-response", "--spi", SPI, *KEYS, ud.hex()))


def display_text_transaction(h, net, ota, agent, txid, cntr, text):
    """C1 (counter cntr) → DisplayText at agent → MG → C2 (cntr + 1) → R2S done with general result 00."""
    pump = lambda: h.iterate(0.02)  # noqa: E731
    shown = len([c for c in agent.calls if c[0] == "DisplayText"])
    c1 = ota_cli(ota, "message", "c1", "--txid", txid, "--action", "display-text", "--text", text)
    did = net.deliver(sms_deliver(secured(ota, c1, cntr)))
    rep = net.expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did)
    check(rep["rp"] == 0, lambda: "RP-ACK for C1 (rp %d cause %d)" % (rep["rp"], rep["cause"]))
    por = por_of(ota, rep["tpdu"])
    ir = json.loads(ota_cli(ota, "message", "decode", por["data"]))
    check(por["status"] == "00" and ir.get("type") == "IR" and ir.get("txid") == txid,
          lambda: "PoR status 00 with the IR of %s" % txid)
    h.wait_for(lambda: len([c for c in agent.calls if c[0] == "DisplayText"]) > shown, 30,
               "DisplayText at the agent")
    dt = [c for c in agent.calls if c[0] == "DisplayText"][-1]
    check(dt[1] == text, lambda: "the agent shows %r" % dt[1])
    mg = net.expect(SUBMIT, 30, pump)
    check(len(mg["tpdu"]) > 0 and mg["tpdu"][0] & 0x03 == 0x01, "the MG went out as an SMS-SUBMIT")
    c2 = ota_cli(ota, "message", "c2", "--txid", txid)
    did2 = net.deliver(sms_deliver(secured(ota, c2, cntr + 1)))
    rep2 = net.expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did2)
    check(rep2["rp"] == 0, "RP-ACK for C2")
    r2s = json.loads(ota_cli(ota, "message", "decode", por_of(ota, rep2["tpdu"])["data"]))
    log("R2S: %s" % r2s)
    check(r2s.get("type") == "R2S" and r2s.get("state") == "done" and
          r2s.get("result", {}).get("general") == "00", lambda: "R2S: transaction %s done, general result 00" % txid)
    return r2s
