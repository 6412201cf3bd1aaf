#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Uicc=qmi with a misbehaving modem (modem-emu's test knobs, doc/modem-emu.md
"Control socket"), each during a deferred transaction whose applet sends a
DISPLAY TEXT (real ofonod, libqmi, stkbridge-agent; private namespaces):

  1. a CAT Event Report whose command TLV is cut short: the plugin drops it
     with one clear line (nothing in it can be trusted, not even its
     reference id); the card's session waits in the modem; the SIM removed
     and inserted, the applet runs its session again, the transaction ends;
  2. an Event Report naming a reference id the modem does not wait for: the
     agent answers, the modem refuses the TERMINAL RESPONSE to that
     reference, one clear line; again after the SIM is removed and inserted;
  3. a TERMINAL RESPONSE the modem never answers: the bounded wait
     (UiccTimeout=2) runs out, one clear line, the SIM reported lost and the
     modem opened again; the SIM back, SimToolkit back, a transaction
     afterwards completes.
  Never a hang: every wait here is bounded, and ofonod keeps running.

usage: test-qmi-misbehave.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI MODEM_EMU
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import enter_namespace  # noqa: E402

enter_namespace()

from harness import check, main_wrapper  # noqa: E402
from otaflow import card_ini, run_one_card  # noqa: E402

EV_MG = {"mg": True, "rq": False, "preset-ms": None}


def run():
    card = card_ini("89882390000000000720", "001010000000720", "+15550720",
                    {"defe01": {"ir": "fixed:60", "mg-address": "+15550100"}})
    run_one_card(sys.argv, card, ["confirm"] * 8, misbehave, network="qmi", uicc="qmi", modem_conf="UiccTimeout=2\n")


def log_lines(h, text, since):
    return [l for l in h.ofonod_log()[since:].splitlines() if text in l]


def reinsert(h, s, agent, registrations):
    """The SIM out of the modem and in again: the card powered again, its applet resumes."""
    emu = s.modem_emu
    path = s.cards["card0"]["path"]
    emu.control("sim-remove " + emu.dev(0))
    h.wait_for(lambda: not h.props(path, "org.ofono.SimManager").get("Present"), 30, "SIM removed")
    emu.control("sim-insert " + emu.dev(0))
    s.bring_up("card0")
    agent.wait_registered(registrations)


def misbehave(h, s, agent):
    emu = s.modem_emu
    dev = emu.dev(0)

    # ---- 1: a truncated TLV in the Event Report -----------------------------------------------------------
    mark = len(h.ofonod_log())
    emu.control("cat-truncate " + dev)
    t1 = s.start_tx("card0", action="display-text", text="Cut short", tar="defe01", ev=EV_MG)
    s.wait_event(t1, "ir-received")
    lines = h.wait_for(lambda: log_lines(h, "sent a CAT Event Report that does not parse", mark), 30,
                       "the plugin's line on the cut-short Event Report")
    check(len(lines) == 1, lambda: "one line: %s" % lines[0].strip())
    h.stays(lambda: not agent.requests(), 1.0, "nothing reached the agent from the cut-short report")
    reinsert(h, s, agent, 2)
    tx = s.wait_final(t1, timeout=90)
    check(tx["state"] == "completed" and (tx["result"] or {}).get("general") == 0,
          lambda: "after the SIM was reinserted the session ran again and R1 came: %s" % tx["result"])

    # ---- 2: an unknown reference id -----------------------------------------------------------------------
    mark = len(h.ofonod_log())
    emu.control("cat-ref-skew " + dev)
    t2 = s.start_tx("card0", action="display-text", text="Which reference?", tar="defe01", ev=EV_MG)
    lines = h.wait_for(lambda: log_lines(h, "refused the TERMINAL RESPONSE to reference", mark), 30,
                       "the plugin's line on the refused TERMINAL RESPONSE")
    check(len(lines) == 1 and "does not know that command" in lines[0], lambda: "one line: %s" % lines[0].strip())
    reinsert(h, s, agent, 3)
    tx = s.wait_final(t2, timeout=90)
    check(tx["state"] == "completed" and (tx["result"] or {}).get("general") == 0,
          lambda: "after the SIM was reinserted the session ran again and R1 came: %s" % tx["result"])

    # ---- 3: a TERMINAL RESPONSE never answered ------------------------------------------------------------
    mark = len(h.ofonod_log())
    card = h.cards["card0"]["proc"]
    card_mark = len(card.log_text())
    emu.control("cat-tr-mute " + dev)
    t0 = time.time()
    t3 = s.start_tx("card0", action="display-text", text="Into the void", tar="defe01", ev=EV_MG)
    lines = h.wait_for(lambda: [l for l in log_lines(h, "CAT Send Terminal Response: Transaction timed out", mark)
                                if "reconnecting" in l], 30, "the plugin's line on the unanswered TERMINAL RESPONSE")
    waited = time.time() - t0
    check(len(lines) == 1, lambda: "one line after the bounded wait (and the modem driver's 'card lost'): %s" %
          lines[0].strip())
    emu.control("cat-tr-unmute " + dev)
    s.bring_up("card0")
    agent.wait_registered(4)
    check(h.ofonod.alive(), lambda: "the SIM and SimToolkit back, ofonod running (%.1f s after the request)" % waited)
    # the firmware answered the card itself once our client went ("terminal currently unable", 20):
    # the applet keeps the request pending (doc/protocol.md) and runs it again after the next
    # TERMINAL PROFILE, i.e. a SIM power cycle
    h.wait_for(lambda: "it stays pending" in card.log_text()[card_mark:], 30,
               "the card's applet keeping the request pending after the firmware's 'terminal unable'")
    check(s.api.tx(t3)["state"] == "waiting", lambda: "the transaction still waiting for its R1")
    reinsert(h, s, agent, 5)
    tx = s.wait_final(t3, timeout=90)
    check(tx["state"] == "completed" and (tx["result"] or {}).get("general") == 0,
          lambda: "after the SIM was reinserted the session ran again and R1 came: %s" % tx["result"])
    t4 = s.start_tx("card0", action="display-text", text="All good again?", tar="defe01", ev=EV_MG)
    tx = s.wait_final(t4, timeout=90)
    check(tx["state"] == "completed" and (tx["result"] or {}).get("general") == 0,
          lambda: "a transaction afterwards completes: %s" % tx["result"])


if __name__ == "__main__":
    main_wrapper(run)
