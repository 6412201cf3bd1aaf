#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Through the real ofonod, with a scripted netsim peer (netsim_fake.py):

  1. the device connects to the network link, says HELLO with the card's
     ICCID, and oFono's NetworkRegistration says "registered";
  2. an SMS-PP (PID 7F, DCS F6) carrying a secured C1 for TAR defe01 goes
     down: the card gets the ENVELOPE (the card log shows 80 C2), and its
     PoR comes back in the RP-ACK's DELIVER-REPORT (TS 31.111 §7.1.1.1):
     a response packet 027100 that verifies with the card's keys, status
     00, holding the IR for the transaction;
  3. the applet's DISPLAY TEXT reaches oFono and the test agent registered
     with org.ofono.SimToolkit.RegisterAgent shows "Pay 10 EUR?";
  4. the TERMINAL RESPONSE reaches the card (80 14, accepted);
  5. the MG (SEND SHORT MESSAGE) goes out as an SMS-SUBMIT on the link;
  6. C2 for the transaction returns R2S "done" with the user's answer.

usage: test-stk-smspp.py PLUGIN_SO UICC_EMU CARD0_INI OTA_CLI
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, TestAgent, check, log, main_wrapper  # noqa: E402
from netsim_fake import (DELIVER_REPORT, SUBMIT, FakeNetsim, sms_deliver)  # noqa: E402
from smspp_flow import TAR, ota_cli, por_of, secured  # noqa: E402

PIN = "1234"
ICCID = "89882390000000000017"


def run():
    plugin, uicc_emu, card0, ota = sys.argv[1:5]
    net = FakeNetsim()
    try:
        with Harness(plugin, uicc_emu) as h:
            h.start_bus()
            sock = h.start_card("card0", config_path=card0)
            path = h.start_emu_modem(sock, "netsim:tcp:127.0.0.1:%d" % net.port)
            h.power_up(path)
            h.wait_for(lambda: h.props(path, "org.ofono.SimManager").get("PinRequired") == "pin", 30, "PIN")
            h.iface(path, "org.ofono.SimManager").EnterPin("pin", PIN, timeout=30)
            h.wait_for(lambda: h.props(path, "org.ofono.SimManager").get("SubscriberIdentity"), 30, "IMSI")
            h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))

            hello = net.wait_connected()
            check(hello["iccid"] == ICCID, lambda: "HELLO carries the card's ICCID (%s)" % hello["iccid"])
            h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), 30, "NetworkRegistration")
            h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status") == "registered", 30,
                       "registered")
            check(True, "NetworkRegistration registered while the link is up")
            h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit")
            agent = TestAgent(h.bus)
            agent.register(h, path)
            h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager")

            # ---- C1: SMS-PP data download --------------------------------------------
            c1 = ota_cli(ota, "message", "c1", "--txid", "00000001", "--action", "display-text",
                         "--text", "Pay 10 EUR?")
            tpdu = sms_deliver(secured(ota, c1, 1))
            did = net.deliver(tpdu)
            pump = lambda: h.iterate(0.02)  # noqa: E731
            rep = net.expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did)
            check(rep["rp"] == 0, lambda: "RP-ACK for the SMS-PP (rp %d cause %d)" % (rep["rp"], rep["cause"]))
            card_log = h.cards["card0"]["proc"].log_text()
            check("APDU 80 c2 00 00" in card_log, "ENVELOPE (SMS-PP DOWNLOAD) reached the card")
            por = por_of(ota, rep["tpdu"])
            check(por["status"] == "00" and por["tar"] == TAR, lambda: "PoR status 00 from TAR defe01: %s" % por)
            ir = json.loads(ota_cli(ota, "message", "decode", por["data"]))
            check(ir.get("type") == "IR" and ir.get("txid") == "00000001", lambda: "PoR carries the IR: %s" % ir)

            # ---- the proactive session -------------------------------------------------
            h.wait_for(lambda: "DisplayText" in agent.names(), 30, "DisplayText at the agent")
            dt = [c for c in agent.calls if c[0] == "DisplayText"][0]
            check(dt[1] == "Pay 10 EUR?", lambda: "agent shows the text: %r" % dt[1])
            tr = h.wait_for(lambda: [l for l in h.cards["card0"]["proc"].log_text().splitlines()
                                     if "APDU 80 14 00 00" in l], 30, "TERMINAL RESPONSE at the card")
            check(all("-> 90" in l or "-> 91" in l for l in tr), lambda: "TERMINAL RESPONSE accepted: %s" % tr)

            mg = net.expect(SUBMIT, 30, pump)
            log("SMS-SUBMIT from the card: %s" % mg["tpdu"].hex())
            check(len(mg["tpdu"]) > 0 and mg["tpdu"][0] & 0x03 == 0x01, "an SMS-SUBMIT went out (the MG)")

            # ---- C2: fetch R1 -------------------------------------------------------------
            c2 = ota_cli(ota, "message", "c2", "--txid", "00000001")
            did2 = net.deliver(sms_deliver(secured(ota, c2, 2)))
            rep2 = net.expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did2)
            check(rep2["rp"] == 0, "RP-ACK for C2")
            por2 = por_of(ota, rep2["tpdu"])
            r2s = json.loads(ota_cli(ota, "message", "decode", por2["data"]))
            log("R2S: %s" % r2s)
            check(r2s.get("type") == "R2S" and r2s.get("state") == "done", "R2S: transaction done")
            check(r2s.get("result", {}).get("general") == "00", "R1: DISPLAY TEXT confirmed (general result 00)")
    finally:
        net.close()


if __name__ == "__main__":
    main_wrapper(run)
