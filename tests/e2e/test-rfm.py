#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""RFM from ota-test-server to a card through the real ofonod (doc/rfm.md,
"The server side"): ota-test-server (HTTP API, netsim link), ofonod with the
stkbridge plugin, uicc-emu with the RFM applet on USIM RFM (TAR b00001).

  1. oFono reads EF_SPN as the SIM comes up: ServiceProviderName "stkbridge";
  2. `ota-cli rfm --script spn.rfm --wait` sends SELECT EF_SPN, UPDATE
     BINARY "OTA SPN" and READ BINARY in one secured packet: through the
     netsim link, the plugin's SMS-PP download and the card's RFM applet,
     the PoR comes back in the DELIVER-REPORT; the command packet on the
     link carries the script under the card's keyset with the server's
     counter, the PoR the R-APDU of the READ: the new bytes;
  3. a new power-up of the modem: oFono keeps EF_SPN (update access ADM)
     in its SIM cache and only drops it on a REFRESH (TS 102 223 §6.4.7),
     which uicc-emu does not send after a script: ServiceProviderName
     still reads "stkbridge", from the cache, and the file is there;
  4. the cache entry of EF_SPN removed, as a REFRESH naming EF_SPN makes
     oFono do (sim_fs_cache_flush_file), and a new power-up: oFono reads
     EF_SPN from the card again: ServiceProviderName "OTA SPN".

usage: test-rfm.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI
"""

import glob
import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import (Stack, args_bins, card_ini, events, parse_deliver,  # noqa: E402
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

            # ---- 2: the script through ofonod ------------------------------------------------
            script = h.path("spn.rfm")
            with open(script, "w") as f:
                f.write(SCRIPT)
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

            # ---- 3: a new power-up: oFono's SIM cache ---------------------------------------
            cached = glob.glob(os.path.join(h.path("ofono-state"), IMSI + "-*", "6f46"))
            check(len(cached) == 1, lambda: "oFono keeps EF_SPN in its SIM cache: %s" % cached)
            got = power_cycle(h, s, path, "EF_SPN cached")
            check(got == OLD_SPN,
                  lambda: "without a REFRESH oFono reads EF_SPN from its cache: %r" % got)

            # ---- 4: the cache entry gone (as after a REFRESH naming EF_SPN), a new power-up ------
            os.remove(cached[0])
            got = power_cycle(h, s, path, "EF_SPN no longer cached")
            check(got == NEW_SPN, lambda: "ServiceProviderName read from the card: %r" % got)
        finally:
            s.stop()


if __name__ == "__main__":
    main_wrapper(run)
