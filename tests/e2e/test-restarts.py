#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""R1 survives the ME and the card dying between the proactive session and
C2 (real ofonod, ota-test-server, uicc-emu, scripted stkbridge-agent):

  1. ofonod killed with -9 after the TERMINAL RESPONSE reached the card (R1
     is in the card's state file).  SV1 polls while the device is gone: C2
     is sent to nobody (not on the link).  ofonod restarts, the modem comes
     back (power, PIN, online), the device attaches, the server resends C2
     with a new counter, R1 is delivered.  The agent saw oFono go and come
     back and registered again by itself.
  2. uicc-emu killed with -9 likewise: R1 and the OTA counter are still in
     the state file; uicc-emu restarts, the SIM comes back (PIN again),
     C2 fetches R1.
  3. a normal transaction afterwards, through the re-registered agent.

usage: test-restarts.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, log, main_wrapper  # noqa: E402
from otaflow import card_ini, events, run_one_card  # noqa: E402

DISPLAY_TEXT, GET_INPUT = 0x21, 0x23
EV_POLL = {"mg": False, "rq": True, "preset-ms": None}      # with an indefinite RQ: C2 only when polled


def run():
    card = card_ini("89882390000000000405", "001010000000405", "+15550405",
                    {"defe04": {"ir": "indefinite"}, "defe01": {"ir": "fixed:60", "mg-address": "+15550100"}})
    run_one_card(sys.argv, card, ["confirm", "text:still here", "confirm"], restarts)


def session_done(h, s, tx_id, tar, cmd_type, t0):
    """Waits until the card answered the TERMINAL RESPONSE and R1 is final in its state file
    (state 0, done, with the r2s: the card writes it after the TR, so a TR on the link is not
    yet a stored R1), and until SV1 has the IR; returns (txid, stored R1)."""
    tr = s.wait_terminal_responses("card0", cmd_type, t0)[0]
    check(tr.get("general") == 0, lambda: "TERMINAL RESPONSE 00 at the card: %s" % tr["raw"])
    tx = s.wait_state(tx_id, "waiting")
    txid = tx["txid"]
    stored = s.wait_r1_stored("card0", tar, txid)
    check(stored.get("state") == "0" and stored.get("r2s"),
          lambda: "the card holds R1 for %s: r2s %s" % (txid, stored.get("r2s")))
    tx = s.api.tx(tx_id)
    check(tx["state"] == "waiting" and not events(tx, "c2-sent"),
          lambda: "SV1 waits (indefinite RQ), no C2 yet: %s" % tx["state"])
    return txid, stored


def c2_por_data(tx):
    """The data of the (first) PoR of a C2 the server received: the R2S, hex; None if none."""
    return next((e.get("data") for e in events(tx, "por-received") if e.get("command") == "c2"), None)


def restarts(h, s, agent):
    server_log = lambda: s.server.log_text()  # noqa: E731

    # ---- 1: kill -9 ofonod between the session and C2 ----------------------------------------------
    t0 = time.time()
    t1 = s.start_tx("card0", action="display-text", text="Before the crash", tar="defe04", ev=EV_POLL)
    txid, stored = session_done(h, s, t1, "defe04", DISPLAY_TEXT, t0)
    a = agent.wait_requests(1)[0]
    check(a["text"] == "Before the crash" and a["answer"] == "confirm", lambda: "agent confirmed %r" % a["text"])
    gone = server_log().count("disconnected")
    s.kill_ofonod()
    log("ofonod killed (-9)")
    h.wait_for(lambda: server_log().count("disconnected") > gone, 30, "the server sees the device go")
    status, body = s.api.poll(t1)
    check(status == 202, lambda: "SV1 polls while the ME is down: %s" % body)
    h.wait_for(lambda: "no device attached" in server_log(), 30, "C2 with no device")
    check(True, "server: C2 waits for a device")
    s.restart_ofonod()
    s.bring_up("card0")
    tx = s.wait_final(t1)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": ""},
          lambda: "R1 delivered after ofonod's restart: %s" % tx["result"])
    c2s = events(tx, "c2-sent")
    check([e.get("trigger") for e in c2s] == ["poll", "device-attached"] and c2s[0]["cntr"] != c2s[1]["cntr"],
          "C2 sent on the poll (device gone), sent again with a new counter when the device attached")
    link = s.check_link("card0", tx, absent={c2s[0]["msg-id"]})
    done = [m for m in link["pors"] if m["type"] == "R2S" and m["state"] == "done"]
    r2s = c2_por_data(tx)
    check(len(done) == 1 and done[0]["txid"] == txid and r2s == stored["r2s"],
          lambda: "the R2S is the R1 the card stored before the crash, matched to C1 by txid %s" % txid)
    check(s.stored_r1("card0", "defe04", txid) is None, "released: the card forgot it")
    # the agent registers again after it saw oFono go and come back (D-Bus keeps that order)
    agent.wait_registered(2)
    vanished, appeared = agent.events("OfonoVanished"), agent.events("OfonoAppeared")
    check(len(vanished) == 1 and len(appeared) == 2,
          lambda: "agent: oFono vanished once (%d) and appeared twice (%d); it registered again by itself" %
          (len(vanished), len(appeared)))

    # ---- 2: kill -9 uicc-emu between the session and C2 --------------------------------------------
    t0 = time.time()
    t2 = s.start_tx("card0", action="get-input", text="After the card restart?", tar="defe04", ev=EV_POLL)
    txid, stored = session_done(h, s, t2, "defe04", GET_INPUT, t0)
    a = agent.wait_requests(2)[1]
    check(a["answer"] == "still here", lambda: "agent typed %r" % a["answer"])
    cntr_before = s.counters("card0")
    s.h.stop_card("card0", kill9=True)
    log("uicc-emu killed (-9)")
    path = s.cards["card0"]["path"]
    h.wait_for(lambda: not h.props(path, "org.ofono.SimManager").get("Present"), 30, "SIM removed")
    check(True, "oFono: SIM removed")
    after = s.stored_r1("card0", "defe04", txid)
    check(after == stored and s.counters("card0") == cntr_before,
          lambda: "state file after kill -9: R1 and the counter (%d) kept" % cntr_before[0])
    h.restart_card("card0")
    s.bring_up("card0")
    status, body = s.api.poll(t2)
    check(status == 202, lambda: "SV1 polls: %s" % body)
    tx = s.wait_final(t2)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": "", "text": "still here"},
          lambda: "R1 delivered after uicc-emu's restart: %s" % tx["result"])
    link = s.check_link("card0", tx)
    done = [m for m in link["pors"] if m["type"] == "R2S" and m["state"] == "done"]
    check(len(done) == 1 and done[0]["result"].get("text") == "still here" and c2_por_data(tx) == stored["r2s"],
          "the R2S is the R1 stored before the card died")

    # ---- 3: business as usual ----------------------------------------------------------------------
    t0 = time.time()
    t3 = s.start_tx("card0", action="display-text", text="All good?", tar="defe01",
                    ev={"mg": True, "rq": False, "preset-ms": None})
    tx = s.wait_final(t3)
    a = agent.wait_requests(3)[2]
    check(a["text"] == "All good?" and a["answer"] == "confirm" and tx["state"] == "completed" and
          (tx["result"] or {}).get("general") == 0 and [e.get("trigger") for e in events(tx, "c2-sent")] == ["mg"],
          "a normal transaction after both restarts: agent answered, MG, C2, R1")
    s.check_link("card0", tx)
    check(s.check_counters("card0") == 4 + 3 + 3, "10 commands (C1, C2 twice, release; then 3 and 3)")


if __name__ == "__main__":
    main_wrapper(run)
