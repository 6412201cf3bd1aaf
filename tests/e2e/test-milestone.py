#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""First milestone through the real ofonod: the stkbridge modem appears on
the private bus, powers up, the SIM asks for its PIN, the PIN is entered,
the SIM becomes ready with the card's IMSI and ICCID
(org.ofono.SimManager), org.ofono.SimToolkit appears; a second config
group with a wrong entry is logged naming group and key and does not stop
the good modem; a TERMINAL PROFILE reached the card; the commands without
data reached the (T=0) card with P3 = 00.

usage: test-milestone.py PLUGIN_SO UICC_EMU CARD0_INI
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, check, log, main_wrapper, sw_accepted  # noqa: E402

IMSI = "001010123456789"
ICCID = "89882390000000000017"
PIN = "1234"


def run():
    plugin, uicc_emu, card0 = sys.argv[1:4]
    with Harness(plugin, uicc_emu) as h:
        h.start_bus()
        sock = h.start_card("card0", config_path=card0)
        conf = ("[modem0]\n"
                "Uicc=emu:unix:%s   # the test card\n"
                "\n"
                "[badmodem]\n"
                "Uicc=qmi:/dev/cdc-wdm0\n"          # a backend this build does not have
                "\n"
                "[nouicc]\n"
                "Network=netsim:tcp:127.0.0.1:1\n") % sock
        h.start_ofonod(conf)

        modems = h.wait_for(lambda: h.modems(), 10, "a modem")
        check(list(modems) == ["/modem0"], "only /modem0 registered (got %s)" % list(modems))
        logtext = h.ofonod_log()
        check("[badmodem] Uicc:" in logtext, "bad group logged with group and key")
        check("[nouicc] Uicc: missing" in logtext, "missing Uicc logged with group and key")

        path = "/modem0"
        h.power_up(path)
        h.wait_for(lambda: "org.ofono.SimManager" in h.interfaces(path), 15, "SimManager")
        sim = h.props(path, "org.ofono.SimManager")
        check(bool(sim.get("Present")), "SIM present")
        h.wait_for(lambda: h.props(path, "org.ofono.SimManager").get("PinRequired") == "pin", 15,
                   "PinRequired == pin")
        retries = h.wait_for(lambda: h.props(path, "org.ofono.SimManager").get("Retries"), 10, "Retries")
        check(int(retries.get("pin", -1)) == 3, "3 PIN retries reported (%s)" % dict(retries))
        check(str(h.props(path, "org.ofono.SimManager").get("CardIdentifier")) == ICCID,
              "CardIdentifier is the card's ICCID before the PIN")

        h.iface(path, "org.ofono.SimManager").EnterPin("pin", PIN, timeout=30)
        props = h.wait_for(lambda: (lambda p: p if p.get("SubscriberIdentity") else None)(
            h.props(path, "org.ofono.SimManager")), 20, "SubscriberIdentity")
        check(str(props["SubscriberIdentity"]) == IMSI, "IMSI %s" % props["SubscriberIdentity"])
        check(str(props.get("PinRequired")) == "none", "no PIN required any more")
        check(str(props.get("MobileCountryCode")) == "001" and str(props.get("MobileNetworkCode")) == "01",
              "MCC/MNC from the IMSI and EF_AD")
        h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 15, "SimToolkit interface")
        stk = h.props(path, "org.ofono.SimToolkit")
        log("SimToolkit properties: %s" % dict(stk))
        check(True, "org.ofono.SimToolkit present")

        logtext = h.ofonod_log()
        check("card ready on emu:unix:" in logtext, "the plugin logged the card ready")
        card_log = h.cards["card0"]["proc"].log_text()
        tp = [l for l in card_log.splitlines() if "APDU 80 10 00 00" in l]
        check(len(tp) == 1 and sw_accepted(tp[0]), "one TERMINAL PROFILE, accepted by the card (%s)" % tp)
        # the emu link is a T=0 card: case-1 commands (the empty VERIFY, retry counters) carry P3 = 00
        check("APDU 00 20 00 01 (5 bytes) ->" in card_log and "APDU 00 2c 00 01 (5 bytes) ->" in card_log,
              "the empty VERIFY and UNBLOCK PIN (PIN state, retries) reached the card with P3 = 00")
        check("command refused" not in card_log, "no command without P3 reached the T=0 card")


if __name__ == "__main__":
    main_wrapper(run)
