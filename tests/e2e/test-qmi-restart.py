#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""R1 survives the QMI modem dying mid-transaction (Network=qmi, the card on
the host; real ofonod, libqmi, modem-emu, ota-test-server, stkbridge-agent;
in private namespaces, qmi_env.py):

  1. EV MG.  After C1's PoR the modem goes mute; the user confirms, the
     card's MG (SEND SHORT MESSAGE) reaches the plugin's WMS Raw Send and
     gets no answer; modem-emu is killed with -9 right then and started
     again.  oFono shows the modem not registered; the plugin opens the
     modem again, sets its routes and sends the MG again (at-least-once):
     the server sends C2 on it and R1 is delivered.
  2. RQ fixed 20 s.  modem-emu killed with -9 once R1 is in the card's state
     file, started again at once: registered again before C2 is due, C2
     then fetches R1.
  Both: the counters agree on both sides and none was used twice (every
  command's counter distinct, the card refused nothing).

usage: test-qmi-restart.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI MODEM_EMU
"""

import os
import re
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import enter_namespace  # noqa: E402

enter_namespace()

from harness import check, log, main_wrapper  # noqa: E402
from otaflow import card_ini, events, run_one_card  # noqa: E402

DISPLAY_TEXT, GET_INPUT, SEND_SM = 0x21, 0x23, 0x13
RAW_SEND = ": WMS Raw Send, "        # the plugin's debug line for each Raw Send it writes


def run():
    card = card_ini("89882390000000000512", "001010000000512", "+15550512",
                    {"defe01": {"ir": "fixed:60", "mg-address": "+15550100"}, "defe02": {"ir": "fixed:20"}})
    run_one_card(sys.argv, card, ["wait:2500 confirm", "text:kept"], restarts, network="qmi")


def restarts(h, s, agent):
    emu = s.modem_emu
    path = s.cards["card0"]["path"]

    # ---- 1: the MG in flight when the modem dies ---------------------------------------------------
    t0 = time.time()
    t1 = s.start_tx("card0", action="display-text", text="Modem about to die", tar="defe01",
                    ev={"mg": True, "rq": False, "preset-ms": None})
    s.wait_event(t1, "ir-received")
    sends = h.ofonod_log().count(RAW_SEND)
    emu.control("mute " + emu.dev(0))
    log("modem muted after the IR came back")
    h.wait_for(lambda: h.ofonod_log().count(RAW_SEND), 30, "the MG's Raw Send written to the mute modem",
               until=lambda n: n > sends)
    emu.kill9()
    mg_send = [l for l in h.ofonod_log().splitlines() if RAW_SEND in l][sends]
    mg_submit = re.search(r"(submit \d+)" + RAW_SEND, mg_send).group(1)
    log("modem-emu killed (-9) with the MG unanswered (%s)" % mg_submit)
    h.wait_for(lambda: s.registration("card0"), 30, "oFono: not registered with the modem gone",
               until=lambda st: st != "registered")
    check(not events(s.api.tx(t1), "mg-received"), "the server has no MG yet")
    emu.start()
    h.wait_for(lambda: s.registration("card0"), 60, "registered again after modem-emu's restart",
               until=lambda st: st == "registered")
    tx = s.wait_final(t1)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": ""},
          lambda: "R1 delivered after the modem's restart: %s" % tx["result"])
    check([e.get("trigger") for e in events(tx, "c2-sent")] == ["mg"] and len(events(tx, "mg-received")) == 1,
          "the MG arrived once; C2 went on it")
    check(h.ofonod_log().count(mg_submit + RAW_SEND) == 2,
          lambda: "the plugin wrote the MG's Raw Send again after the restart (%s: %d times)" %
          (mg_submit, h.ofonod_log().count(mg_submit + RAW_SEND)))
    sm = s.terminal_response("card0", SEND_SM, t0)
    check(sm.get("general") == 0, lambda: "the card's SEND SHORT MESSAGE (MG) reported performed: %s" % sm["raw"])
    link = s.check_link("card0", tx)
    check(len(link["mgs"]) == 1, "the MG on the radio once")

    # ---- 2: R1 in the card, the modem dies before C2 -------------------------------------------------
    t0 = time.time()
    t2 = s.start_tx("card0", action="get-input", text="Still there?", tar="defe02",
                    ev={"mg": False, "rq": True, "preset-ms": None})
    tr = s.wait_terminal_responses("card0", GET_INPUT, t0)[0]
    txid = s.api.tx(t2)["txid"]
    stored = s.wait_r1_stored("card0", "defe02", txid)
    check(tr.get("text") == "kept" and stored.get("r2s"), lambda: "R1 in the card's state file: %s" % stored)
    emu.kill9()
    log("modem-emu killed (-9) with R1 stored and C2 not due")
    h.wait_for(lambda: s.registration("card0"), 30, "not registered", until=lambda st: st != "registered")
    emu.start()
    h.wait_for(lambda: s.registration("card0"), 60, "registered again", until=lambda st: st == "registered")
    check(not events(s.api.tx(t2), "c2-sent"), "back before C2 was due (RQ 20 s)")
    tx = s.wait_final(t2, timeout=60)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": "", "text": "kept"},
          lambda: "R1 delivered: %s" % tx["result"])
    s.check_link("card0", tx)

    # ---- no counter reused ------------------------------------------------------------------------------
    cntrs = [e["cntr"] for t in (t1, t2) for e in s.api.tx(t)["timeline"]
             if e["event"] in ("c1-sent", "c2-sent", "release-sent")]
    check(len(cntrs) == len(set(cntrs)) == 6, lambda: "6 commands, every counter distinct: %s" % cntrs)
    check(s.check_counters("card0") == 6, "the card and the server agree: counter 6")
    card_log = h.cards["card0"]["proc"].log_text()
    check("refused" not in card_log, "the card refused no packet (no counter replayed)")


if __name__ == "__main__":
    main_wrapper(run)
