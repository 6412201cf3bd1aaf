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

        modems = h.wait_for(lambda: h.modems(), 30, "a modem")
        check(list(modems) == ["/modem0"], lambda: "only /modem0 registered (got %s)" % list(modems))
        logtext = h.ofonod_log()
        check("[badmodem] Uicc:" in logtext, "bad group logged with group and key")
        check("[nouicc] Uicc: missing" in logtext, "missing Uicc logged with group and key")

        path = "/modem0"
        h.power_up(path)
        h.wait_for(lambda: "org.ofono.SimManager" in h.interfaces(path), 30, "SimManager")
        simmgr = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731
        h.wait_for(lambda: simmgr().get("Present"), 30, "SIM present")
        check(True, "SIM present")
        h.wait_for(simmgr, 30, "PinRequired == pin", until=lambda p: p.get("PinRequired") == "pin")
        retries = h.wait_for(lambda: simmgr().get("Retries"), 30, "Retries")
        check(int(retries.get("pin", -1)) == 3, lambda: "3 PIN retries reported (%s)" % dict(retries))
        # EF_ICCID is read before the PIN is asked for
        sim = h.wait_for(simmgr, 30, "CardIdentifier", until=lambda p: p.get("CardIdentifier"))
        check(str(sim.get("CardIdentifier")) == ICCID,
              lambda: "CardIdentifier is the card's ICCID before the PIN: %s" % sim.get("CardIdentifier"))

        h.iface(path, "org.ofono.SimManager").EnterPin("pin", PIN, timeout=30)
        # the IMSI and MCC/MNC (EF_AD) come as the SIM gets ready
        props = h.wait_for(simmgr, 30, "SubscriberIdentity and MobileNetworkCode",
                           until=lambda p: p.get("SubscriberIdentity") and p.get("MobileNetworkCode"))
        check(str(props["SubscriberIdentity"]) == IMSI, lambda: "IMSI %s" % props["SubscriberIdentity"])
        check(str(props.get("PinRequired")) == "none", "no PIN required any more")
        check(str(props.get("MobileCountryCode")) == "001" and str(props.get("MobileNetworkCode")) == "01",
              "MCC/MNC from the IMSI and EF_AD")
        h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit interface")
        stk = h.props(path, "org.ofono.SimToolkit")
        log("SimToolkit properties: %s" % dict(stk))
        check(True, "org.ofono.SimToolkit present")

        logtext = h.ofonod_log()
        check("card ready on emu:unix:" in logtext, "the plugin logged the card ready")
        tp = h.wait_for(lambda: [l for l in h.cards["card0"]["proc"].log_text().splitlines()
                                 if "APDU 80 10 00 00" in l], 30, "TERMINAL PROFILE in the card's log")
        check(len(tp) == 1 and sw_accepted(tp[0]), lambda: "one TERMINAL PROFILE, accepted by the card (%s)" % tp)
        card_log = h.cards["card0"]["proc"].log_text()
        # the emu link is a T=0 card: case-1 commands (the empty VERIFY, retry counters) carry P3 = 00
        check("APDU 00 20 00 01 (5 bytes) ->" in card_log and "APDU 00 2c 00 01 (5 bytes) ->" in card_log,
              "the empty VERIFY and UNBLOCK PIN (PIN state, retries) reached the card with P3 = 00")
        check("command refused" not in card_log, "no command without P3 reached the T=0 card")


if __name__ == "__main__":
    main_wrapper(run)
