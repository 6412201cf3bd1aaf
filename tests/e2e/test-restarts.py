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
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import Stack, args_bins, card_ini, events  # noqa: E402

DISPLAY_TEXT, GET_INPUT = 0x21, 0x23
EV_POLL = {"mg": False, "rq": True, "preset-ms": None}      # with an indefinite RQ: C2 only when polled


def run():
    plugin, bins = args_bins(sys.argv)
    with Harness(plugin, bins["uicc_emu"]) as h:
        s = Stack(h, bins)
        try:
            s.start({"card0": card_ini("89882390000000000405", "001010000000405", "+15550405",
                                       {"defe04": {"ir": "indefinite"},
                                        "defe01": {"ir": "fixed:60", "mg-address": "+15550100"}})})
            agent = s.agent("agent", "card0", ["confirm", "text:still here", "confirm"])
            s.bring_up("card0")
            agent.wait_registered()
            restarts(h, s, agent)
        finally:
            s.stop()


def session_done(h, s, tx_id, tar, cmd_type, t0):
    """Waits until the card got the TERMINAL RESPONSE and holds R1; returns (txid, stored R1)."""
    tr = h.wait_for(lambda: [t for t in s.terminal_responses("card0", t0) if t.get("type") == cmd_type], 15,
                    "TERMINAL RESPONSE at the card")[0]
    check(tr["general"] == 0, "TERMINAL RESPONSE 00 at the card: %s" % tr["raw"])
    txid = s.api.tx(tx_id)["txid"]
    stored = h.wait_for(lambda: s.stored_r1("card0", tar, txid), 5, "R1 in the card's state file")
    check(stored["state"] == "0", "the card holds R1 for %s: %s" % (txid, stored["r2s"]))
    tx = s.api.tx(tx_id)
    check(tx["state"] == "waiting" and not events(tx, "c2-sent"), "SV1 waits (indefinite RQ), no C2 yet")
    return txid, stored


def restarts(h, s, agent):
    server_log = lambda: s.server.log_text()  # noqa: E731

    # ---- 1: kill -9 ofonod between the session and C2 ----------------------------------------------
    t0 = time.time()
    t1 = s.start_tx("card0", action="display-text", text="Before the crash", tar="defe04", ev=EV_POLL)
    txid, stored = session_done(h, s, t1, "defe04", DISPLAY_TEXT, t0)
    a = agent.wait_requests(1)[0]
    check(a["text"] == "Before the crash" and a["answer"] == "confirm", "agent confirmed %r" % a["text"])
    gone = server_log().count("disconnected")
    s.kill_ofonod()
    log("ofonod killed (-9)")
    h.wait_for(lambda: server_log().count("disconnected") > gone, 10, "the server sees the device go")
    status, body = s.api.poll(t1)
    check(status == 202, "SV1 polls while the ME is down: %s" % body)
    h.wait_for(lambda: "no device attached" in server_log(), 5, "C2 with no device")
    check(True, "server: C2 waits for a device")
    s.restart_ofonod()
    s.bring_up("card0")
    tx = s.wait_final(t1)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": ""},
          "R1 delivered after ofonod's restart: %s" % tx["result"])
    c2s = events(tx, "c2-sent")
    check([e.get("trigger") for e in c2s] == ["poll", "device-attached"] and c2s[0]["cntr"] != c2s[1]["cntr"],
          "C2 sent on the poll (device gone), sent again with a new counter when the device attached")
    link = s.check_link("card0", tx, absent={c2s[0]["msg-id"]})
    done = [m for m in link["pors"] if m["type"] == "R2S" and m["state"] == "done"]
    r2s = [e for e in events(tx, "por-received") if e["command"] == "c2"][0]["data"]
    check(len(done) == 1 and done[0]["txid"] == txid and r2s == stored["r2s"],
          "the R2S is the R1 the card stored before the crash, matched to C1 by txid %s" % txid)
    check(s.stored_r1("card0", "defe04", txid) is None, "released: the card forgot it")
    vanished = agent.events("OfonoVanished")
    h.wait_for(lambda: len([x for x in agent.events("RegisterAgent") if x.get("error") is None]) >= 2, 15,
               "the agent registered again")
    check(len(vanished) == 1 and len(agent.events("OfonoAppeared")) == 2,
          "agent: oFono vanished once and appeared twice; it registered again by itself")

    # ---- 2: kill -9 uicc-emu between the session and C2 --------------------------------------------
    t0 = time.time()
    t2 = s.start_tx("card0", action="get-input", text="After the card restart?", tar="defe04", ev=EV_POLL)
    txid, stored = session_done(h, s, t2, "defe04", GET_INPUT, t0)
    a = agent.wait_requests(2)[1]
    check(a["answer"] == "still here", "agent typed %r" % a["answer"])
    cntr_before = s.counters("card0")
    s.h.stop_card("card0", kill9=True)
    log("uicc-emu killed (-9)")
    path = s.cards["card0"]["path"]
    h.wait_for(lambda: not h.props(path, "org.ofono.SimManager").get("Present"), 15, "SIM removed")
    check(True, "oFono: SIM removed")
    after = s.stored_r1("card0", "defe04", txid)
    check(after == stored and s.counters("card0") == cntr_before,
          "state file after kill -9: R1 and the counter (%d) kept" % cntr_before[0])
    h.restart_card("card0")
    s.bring_up("card0")
    status, body = s.api.poll(t2)
    check(status == 202, "SV1 polls: %s" % body)
    tx = s.wait_final(t2)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": "", "text": "still here"},
          "R1 delivered after uicc-emu's restart: %s" % tx["result"])
    link = s.check_link("card0", tx)
    done = [m for m in link["pors"] if m["type"] == "R2S" and m["state"] == "done"]
    check(len(done) == 1 and done[0]["result"].get("text") == "still here" and
          [e for e in events(tx, "por-received") if e["command"] == "c2"][0]["data"] == stored["r2s"],
          "the R2S is the R1 stored before the card died")

    # ---- 3: business as usual ----------------------------------------------------------------------
    t0 = time.time()
    t3 = s.start_tx("card0", action="display-text", text="All good?", tar="defe01",
                    ev={"mg": True, "rq": False, "preset-ms": None})
    tx = s.wait_final(t3)
    a = agent.wait_requests(3)[2]
    check(a["text"] == "All good?" and a["answer"] == "confirm" and tx["state"] == "completed" and
          tx["result"]["general"] == 0 and [e.get("trigger") for e in events(tx, "c2-sent")] == ["mg"],
          "a normal transaction after both restarts: agent answered, MG, C2, R1")
    s.check_link("card0", tx)
    check(s.check_counters("card0") == 4 + 3 + 3, "10 commands (C1, C2 twice, release; then 3 and 3)")


if __name__ == "__main__":
    main_wrapper(run)
