#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Uicc=qmi + Network=qmi (the card is the modem's own SIM): R1 survives the
SIM leaving the modem, the modem dying and ofonod dying, mid-transaction
(real ofonod, libqmi, modem-emu with the uicc-emu card behind an ApduTap,
ota-test-server, the scripted stkbridge-agent; private namespaces):

  1. the SIM removed in the modem (modem-emu's control socket) while the
     applet's DISPLAY TEXT waits for the user: SimToolkit goes, the agent is
     released; the SIM inserted: PIN again, SimToolkit back, the agent
     registers again by itself, the applet's session runs again (its command
     reported by the firmware before SimToolkit was back), the user confirms,
     the MG goes, R1 is delivered;
  2. modem-emu killed with -9 once R1 is in the card's state file (RQ fixed
     20 s), started again at once: the SIM and the registration come back,
     C2 goes when due and fetches R1;
  3. ofonod killed with -9 while the transaction waits (RQ indefinite);
     ofonod started again: SimToolkit and the agent come back, the poll's C2
     fetches R1 (the firmware downloads it: no ofonod in that path).
  Then the counters agree on both sides and none was used twice.

usage: test-qmi-uicc-restart.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI MODEM_EMU
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import enter_namespace  # noqa: E402

enter_namespace()

from harness import check, log, main_wrapper  # noqa: E402
from otaflow import card_ini, events, run_one_card  # noqa: E402

DISPLAY_TEXT, GET_INPUT = 0x21, 0x23
FETCH_DISPLAY_TEXT = lambda a: (a["capdu"][:2] == b"\x80\x12" and a["rapdu"] and  # noqa: E731
                                a["rapdu"][:1] == b"\xd0" and b"\x81\x03" in a["rapdu"][:6] and
                                a["rapdu"][a["rapdu"].index(b"\x81\x03") + 3] == DISPLAY_TEXT)


def run():
    card = card_ini("89882390000000000611", "001010000000611", "+15550611",
                    {"defe01": {"ir": "fixed:60", "mg-address": "+15550100"}, "defe02": {"ir": "fixed:20"},
                     "defe04": {"ir": "indefinite"}})
    run_one_card(sys.argv, card, ["wait:8000 confirm", "confirm", "text:kept", "confirm"], restarts,
                 network="qmi", uicc="qmi")


def restarts(h, s, agent):
    emu = s.modem_emu
    path = s.cards["card0"]["path"]
    tap = s.apdu["card0"]
    sim = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731

    # ---- 1: the SIM out of the modem while DISPLAY TEXT waits --------------------------------------------
    t0 = time.time()
    t1 = s.start_tx("card0", action="display-text", text="SIM about to leave", tar="defe01",
                    ev={"mg": True, "rq": False, "preset-ms": None})
    h.wait_for(lambda: [a for a in tap.apdus if a["t"] >= t0 and FETCH_DISPLAY_TEXT(a)], 30,
               "the firmware's FETCH of DISPLAY TEXT")
    emu.control("sim-remove " + emu.dev(0))
    h.wait_for(lambda: not sim().get("Present"), 30, "SIM removed in oFono")
    h.wait_for(lambda: "org.ofono.SimToolkit" not in h.interfaces(path), 30, "SimToolkit gone")
    check(True, "SIM removed in the modem mid-session: Present false, SimToolkit gone")
    emu.control("sim-insert " + emu.dev(0))
    s.bring_up("card0")
    agent.wait_registered(2)
    check(True, "SIM back (PIN), SimToolkit back, the agent registered again by itself")
    tx = s.wait_final(t1, timeout=90)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": ""},
          lambda: "R1 delivered after the SIM came back: %s" % tx["result"])
    shown = [r for r in agent.requests() if r.get("text") == "SIM about to leave"]
    check(len(shown) >= 2 and shown[-1]["outcome"] == "replied",
          lambda: "the applet's DISPLAY TEXT shown again and confirmed: %s" % [r["outcome"] for r in shown])
    s.check_link("card0", tx)

    # ---- 2: modem-emu killed with R1 stored, C2 not due -------------------------------------------------------
    t0 = time.time()
    t2 = s.start_tx("card0", action="get-input", text="Kept?", tar="defe02",
                    ev={"mg": False, "rq": True, "preset-ms": None})
    s.wait_terminal_responses("card0", GET_INPUT, t0)
    txid = s.api.tx(t2)["txid"]
    stored = s.wait_r1_stored("card0", "defe02", txid)
    emu.kill9()
    log("modem-emu killed (-9) with R1 stored")
    h.wait_for(lambda: not sim().get("Present"), 30, "SIM gone with the modem")
    emu.start()
    s.bring_up("card0")
    check(not events(s.api.tx(t2), "c2-sent"), "modem-emu back and registered before C2 was due")
    tx = s.wait_final(t2, timeout=60)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": "", "text": "kept"} and
          stored.get("r2s"), lambda: "R1 delivered after modem-emu's restart: %s" % tx["result"])
    s.check_link("card0", tx)

    # ---- 3: ofonod killed while the transaction waits ----------------------------------------------------------
    t0 = time.time()
    t3 = s.start_tx("card0", action="display-text", text="ofonod about to die", tar="defe04",
                    ev={"mg": False, "rq": True, "preset-ms": None})
    s.wait_terminal_responses("card0", DISPLAY_TEXT, t0)
    s.wait_r1_stored("card0", "defe04", s.api.tx(t3)["txid"])
    s.kill_ofonod()
    log("ofonod killed (-9) while the transaction waits")
    s.restart_ofonod()
    s.bring_up("card0")
    agent.wait_registered(4)
    check(True, "ofonod back: SimToolkit back, the agent registered again by itself")
    status_code, body = s.api.poll(t3)
    check(status_code == 202, lambda: "SV1 polls: %s" % body)
    tx = s.wait_final(t3)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": ""},
          lambda: "R1 delivered after ofonod's restart: %s" % tx["result"])

    # ---- no counter reused -------------------------------------------------------------------------------------
    cntrs = [e["cntr"] for t in (t1, t2, t3) for e in s.api.tx(t)["timeline"]
             if e["event"] in ("c1-sent", "c2-sent", "release-sent")]
    check(len(cntrs) == len(set(cntrs)), lambda: "%d commands, every counter distinct: %s" % (len(cntrs), cntrs))
    check(s.check_counters("card0") == len(cntrs), "the card and the server agree on the counter")
    check("refused" not in h.cards["card0"]["proc"].log_text(), "the card refused no packet")


if __name__ == "__main__":
    main_wrapper(run)
