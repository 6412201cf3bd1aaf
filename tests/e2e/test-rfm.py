#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""RFM from ota-test-server to a card through the real ofonod (doc/rfm.md,
"The server side", "REFRESH after a script"): ota-test-server (HTTP API,
netsim link), ofonod with the stkbridge plugin, uicc-emu with the RFM applet
on USIM RFM (TAR b00001).

  1. oFono reads EF_SPN as the SIM comes up: ServiceProviderName "stkbridge";
     it keeps the file in its SIM cache (update access ADM: only a REFRESH
     changes it, as far as oFono knows);
  2. `ota-cli rfm --script spn.rfm --wait` sends SELECT EF_SPN, UPDATE
     BINARY "OTA SPN" and READ BINARY in one secured packet: through the
     netsim link, the plugin's SMS-PP download and the card's RFM applet,
     the PoR comes back in the DELIVER-REPORT; the command packet on the
     link carries the script under the card's keyset with the server's
     counter, the PoR the R-APDU of the READ: the new bytes;
  3. the card then issues REFRESH File Change Notification naming EF_SPN
     by its two paths (3F00 7FFF 6F46, and DF_GSM's 3F00 7F20 6F46), after
     the PoR; oFono drops the cached file, answers 00 and reads EF_SPN from
     the card: ServiceProviderName becomes "OTA SPN" without a power-up;
     the card's log shows the REFRESH and its TERMINAL RESPONSE, and owes
     nothing more (its state file);
  4. a new power-up: "OTA SPN" still (the copy oFono cached is the new one);
  5. EF_AD written by RFM: oFono starts the SIM again for it (a file of its
     SIM initialisation named by the REFRESH); the plugin reports the SIM
     again and the modem comes back, SimToolkit with it;
  6. EF_DIR rewritten by RFM (the same bytes): REFRESH UICC Reset; the
     plugin resets the card (no TERMINAL RESPONSE), oFono starts the SIM
     again (PIN1 again: the card was reset), and after the reset's TERMINAL
     PROFILE the card names EF_DIR in a File Change Notification for
     terminals that keep copies.

usage: test-rfm.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI
"""

import glob
import json
import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import (PIN, Stack, args_bins, card_ini, ctlvs, events, parse_deliver,  # noqa: E402
                     parse_deliver_report, rfm_tar)
from taps import DELIVER, DELIVER_REPORT, TO_DEVICE  # noqa: E402

ICCID, IMSI, MSISDN = "89882390000000000504", "001010000000504", "+15550504"
OLD_SPN, NEW_SPN = "stkbridge", "OTA SPN"
# TS 31.102 §4.2.12: display condition, then the name in the GSM default alphabet, padded with FF
SPN_BYTES = "01" + NEW_SPN.encode("ascii").hex() + "ff" * (16 - len(NEW_SPN))
# TS 102 226 §5.1.1: the commands as T=0 TPDUs, back to back
COMPACT = "00a4000c026f46" + "00d6000011" + SPN_BYTES + "00b0000011"
SCRIPT = """# EF_SPN of the USIM, by USIM RFM (TS 31.116)
tar b00001
00 A4 00 0C 02 6F 46                 # SELECT EF_SPN (ADF.USIM is current)
00 D6 00 00 11 %s   # UPDATE BINARY, 17 bytes
00 B0 00 00 11                       # READ BINARY, 17 bytes
""" % SPN_BYTES

CARD = card_ini(ICCID, IMSI, MSISDN, {"defe01": {"ir": "fixed:30"}}) + rfm_tar("b00001", "adf-usim")


def spn(h, path):
    return str(h.props(path, "org.ofono.SimManager").get("ServiceProviderName", ""))


# EF_AD (TS 31.102 §4.2.18): normal operation, no ciphering indicator, MNC of 2 digits, as card0 has it
EF_AD_SCRIPT = """tar b00001
00 A4 00 0C 02 6F AD
00 D6 00 00 04 00 00 00 02
"""
# EF_DIR's first record (TS 102 221 §13.1: the USIM's application template): read (expanded: the card
# repeats READ RECORD with the length its 6CXX gives), then written back as it is
EF_DIR_READ = """tar b00001
format expanded
00 A4 00 0C 02 3F 00
00 A4 00 0C 02 2F 00
00 B2 01 04 00
"""
EF_DIR_WRITE = """tar b00001
00 A4 00 0C 02 3F 00
00 A4 00 0C 02 2F 00
00 DC 01 04 %02X %s
"""


def rfm(h, s, name, script):
    """ota-cli rfm --script: every command ran."""
    p = h.path(name)
    with open(p, "w") as f:
        f.write(script)
    op = json.loads(s.ota_cli("rfm", "--server", s.api.base, "--iccid", ICCID, "--script", p, "--wait",
                              "--timeout", "60"))
    check(op["state"] == "completed" and op["result"]["ok"],
          lambda: "RFM operation %s: %s %s" % (name, op["state"], json.dumps(op["result"])))
    return op


def fetched_refresh(s, card, since):
    """The first REFRESH (TS 102 223 §6.6.13) the plugin fetched from the card after `since`:
    its qualifier and File List paths (§8.18), and when."""
    def first():
        for a in s.apdu[card].commands(b"\x80\x12"):
            if a["t"] < since or not a["rapdu"] or len(a["rapdu"]) < 4:
                continue
            cmd = a["rapdu"][:-2]
            body = cmd[2:] if cmd[1] < 0x80 else cmd[3:]
            objs = dict(ctlvs(body))
            if objs.get(0x01, b"\0\0")[1] != 0x01:
                continue
            fl, files = objs.get(0x12, b""), []
            for i in range(1, len(fl), 2):
                if fl[i:i + 2] == b"\x3f\x00":
                    files.append("")
                files[-1] += fl[i:i + 2].hex()
            return {"t": a["t"], "qualifier": objs[0x01][2], "files": files}
        return None
    return s.h.wait_for(first, 30, "a REFRESH fetched from %s" % card)


def card_log(h, card, line):
    h.wait_for(lambda: line in h.cards[card]["proc"].log_text(), 30, "the card's log: " + line)
    check(True, lambda: "uicc-emu's log: " + line)


def back_up(h, path, what):
    """The SIM ready again, SimToolkit back, EF_SPN read: the modem is whole again."""
    h.wait_for(lambda: h.props(path, "org.ofono.SimManager").get("Present") and
               "org.ofono.SimToolkit" in h.interfaces(path), 60, "SIM and SimToolkit back (%s)" % what)
    got = h.wait_for(lambda: spn(h, path), 30, "ServiceProviderName (%s)" % what)
    check(got == NEW_SPN, lambda: "ServiceProviderName %s: %r" % (what, got))


def power_cycle(h, s, path, what):
    """Powered off, then up again as at the start (PIN, online, registered: oFono reads EF_SPN
    for the network registration's name), until ServiceProviderName is there."""
    h.set_prop(path, "org.ofono.Modem", "Powered", dbus.Boolean(False))
    h.wait_for(lambda: not h.props(path, "org.ofono.Modem").get("Powered"), 30, "powered off")
    s.bring_up("card0")
    return h.wait_for(lambda: spn(h, path), 30, "ServiceProviderName read (%s)" % what)


def run():
    plugin, bins = args_bins(sys.argv)
    with Harness(plugin, bins["uicc_emu"]) as h:
        s = Stack(h, bins)
        try:
            s.start({"card0": CARD})
            path = s.bring_up("card0")
            got = h.wait_for(lambda: spn(h, path), 30, "ServiceProviderName")
            check(got == OLD_SPN, lambda: "ServiceProviderName read from the card: %r" % got)
            cached = glob.glob(os.path.join(h.path("ofono-state"), IMSI + "-*", "6f46"))
            check(len(cached) == 1, lambda: "oFono keeps EF_SPN in its SIM cache: %s" % cached)

            # ---- 2: the script through ofonod ------------------------------------------------
            script = h.path("spn.rfm")
            with open(script, "w") as f:
                f.write(SCRIPT)
            since = time.time()
            op = json.loads(s.ota_cli("rfm", "--server", s.api.base, "--iccid", ICCID, "--script", script,
                                      "--wait", "--timeout", "60"))
            log("RFM operation %d: %s %s" % (op["id"], op["state"], json.dumps(op["result"])))
            res = op["result"]
            check(op["state"] == "completed" and res["ok"] and res["executed"] == 3,
                  lambda: "the card ran the 3 commands: %s" % json.dumps(res))
            check(res["rapdus"] == [{"index": 2, "sw": "9000", "data": SPN_BYTES}],
                  lambda: "the PoR carries READ BINARY's R-APDU, the new EF_SPN: %s" % res["rapdus"])
            sent = events(op, "script-sent")[0]
            por = events(op, "por-received")[0]
            check(por["via"] == "deliver-report" and por["status"] == 0 and por["cntr"] == sent["cntr"],
                  lambda: "PoR in the DELIVER-REPORT, status 00, the command's counter: %s" % por)
            # the secured bytes on the netsim link: the script under keyset 1 with that counter
            frames = s.netsim.of(ICCID)
            downs = [f for f in frames if f["type"] == DELIVER and f["dir"] == TO_DEVICE and f["id"] == sent["msg-id"]]
            check(len(downs) == 1, lambda: "the command packet on the link as SMS %d" % sent["msg-id"])
            sms = parse_deliver(downs[0]["tpdu"])
            pkt = s.unwrap_command(sms["data"])
            check(sms["pid"] == 0x7F and sms["udh"].get(0x70) == b"" and pkt["tar"] == "b00001" and
                  pkt["cntr"] == sent["cntr"] and pkt["spi"] == "1619" and pkt["cc"] and pkt["data"] == COMPACT,
                  lambda: "command packet: PID 7F, UDH 70, TAR b00001, CNTR %s, SPI 1619, CC, the compact "
                  "script: %s" % (sent["cntr"], json.dumps(pkt)))
            reports = [f for f in frames if f["type"] == DELIVER_REPORT and f["id"] == sent["msg-id"]]
            rep = parse_deliver_report(reports[0]["tpdu"])
            back = s.unwrap_response("1619", rep["data"])
            check(rep["udh"].get(0x71) == b"" and back["cntr"] == sent["cntr"] and back["cc"] and
                  back["data"] == "039000" + SPN_BYTES and por["data"] == back["data"],
                  lambda: "PoR in the DELIVER-REPORT: UDH 71, CC, 3 commands, 90 00, the new EF_SPN: %s" %
                  json.dumps(back))
            s.check_counters("card0")

            # ---- 3: the REFRESH after the PoR, oFono reads EF_SPN again -------------------------
            refresh = fetched_refresh(s, "card0", since)
            check(refresh["qualifier"] == 0x01 and refresh["files"] == ["3f007fff6f46", "3f007f206f46"],
                  lambda: "REFRESH File Change Notification of EF_SPN, both paths: %s" % refresh)
            # the card's response data to the ENVELOPE (after its GET RESPONSE) carried the PoR and
            # announced the REFRESH (91XX) at the same time: the PoR was out before the ME could fetch it
            por_apdus = [a for a in s.apdu["card0"].commands(b"\x00\xc0") + s.apdu["card0"].commands(b"\x80\xc2")
                         if a["t"] >= since and a["rapdu"] and rep["ud"] and rep["ud"] in a["rapdu"][:-2]]
            check(len(por_apdus) == 1 and por_apdus[0]["rapdu"][-2] == 0x91 and por_apdus[0]["t"] < refresh["t"],
                  lambda: "the PoR in the card's response data with 91XX, the REFRESH fetched after it: %s" %
                  [(a["capdu"][:5].hex(), a["rapdu"][-2:].hex()) for a in por_apdus])
            got = h.wait_for(lambda: spn(h, path), 30, "ServiceProviderName after the REFRESH",
                             until=lambda v: v == NEW_SPN)
            check(got == NEW_SPN, lambda: "ServiceProviderName read from the card after the REFRESH: %r" % got)
            tr = s.terminal_response("card0", 0x01, since)
            check(tr["general"] == 0x00 and tr["qualifier"] == 0x01 and tr["sw"] == "9000",
                  lambda: "TERMINAL RESPONSE to the REFRESH: 00, the session over: %s" % tr)
            card_log(h, "card0", "REFRESH queued: File Change Notification (01), 2 files: 3f007fff6f46 3f007f206f46")
            card_log(h, "card0", "TERMINAL RESPONSE to REFRESH (01): result 00, performed")
            # the card writes its state after it logged the answer: wait for it
            owed = h.wait_for(lambda: s.card_state("card0").get("rfm-refresh", {}), 30,
                              "the card's state: no REFRESH owed",
                              until=lambda o: "files" not in o and "flags" not in o)
            check(owed.get("seq") == "1", lambda: "the card owes no REFRESH any more: %s" % owed)

            # ---- 4: a new power-up: the copy oFono keeps is the new one ----------------------
            got = power_cycle(h, s, path, "after the REFRESH")
            check(got == NEW_SPN, lambda: "ServiceProviderName after a power-up: %r" % got)

            # ---- 5: EF_AD: oFono starts the SIM again (NAA initialisation) ---------------------
            since = time.time()
            rfm(h, s, "ad.rfm", EF_AD_SCRIPT)
            refresh = fetched_refresh(s, "card0", since)
            check(refresh["qualifier"] == 0x01 and refresh["files"] == ["3f007fff6fad", "3f007f206fad"],
                  lambda: "REFRESH File Change Notification of EF_AD: %s" % refresh)
            tr = s.terminal_response("card0", 0x01, since)
            check(tr["general"] == 0x00, lambda: "TERMINAL RESPONSE to the REFRESH: 00: %s" % tr)
            h.wait_for(lambda: "REFRESH: the SIM is initialised again" in h.ofonod_log(), 30,
                       "the plugin reports the SIM again after oFono's NAA initialisation")
            back_up(h, path, "after the NAA initialisation")

            # ---- 6: EF_DIR: UICC Reset, carried out by the plugin ------------------------------
            rec = rfm(h, s, "dir-read.rfm", EF_DIR_READ)["result"]["rapdus"][-1]
            check(rec["sw"] == "9000" and rec["data"].startswith("61"),
                  lambda: "EF_DIR's record 1 read by RFM, an application template: %s" % rec)
            since = time.time()
            resets = len(s.apdu["card0"].commands(b"\x80\x10"))
            rfm(h, s, "dir.rfm", EF_DIR_WRITE % (len(rec["data"]) // 2, rec["data"]))
            refresh = fetched_refresh(s, "card0", since)
            check(refresh["qualifier"] == 0x04 and refresh["files"] == [],
                  lambda: "REFRESH UICC Reset, no File List: %s" % refresh)
            card_log(h, "card0", "REFRESH (04): the card was reset, as it asked")
            h.wait_for(lambda: len(s.apdu["card0"].commands(b"\x80\x10")) > resets, 30,
                       "a TERMINAL PROFILE after the reset")
            # a reset card wants PIN1 again, as after any power-up (the plugin tells oFono the SIM is
            # initialised at once, so oFono keeps no PIN to enter by itself)
            h.wait_for(lambda: str(h.props(path, "org.ofono.SimManager").get("PinRequired")) == "pin", 30,
                       "oFono asks for PIN1 after the UICC Reset")
            h.sim_ready(path, PIN)
            after = fetched_refresh(s, "card0", refresh["t"] + 0.0001)
            check(after["qualifier"] == 0x01 and after["files"] == ["3f002f00"],
                  lambda: "after the reset, File Change Notification of EF_DIR: %s" % after)
            trs = s.wait_terminal_responses("card0", 0x01, since)
            check([t["qualifier"] for t in trs] == [0x01] and trs[0]["general"] == 0x00,
                  lambda: "one TERMINAL RESPONSE, to the File Change Notification (none to the UICC Reset): %s" %
                  trs)
            h.wait_for(lambda: "REFRESH UICC Reset: the card is reset" in h.ofonod_log(), 30, "the plugin's reset")
            back_up(h, path, "after the UICC Reset")
        finally:
            s.stop()


if __name__ == "__main__":
    main_wrapper(run)
