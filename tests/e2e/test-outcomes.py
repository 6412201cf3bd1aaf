#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The user not answering as asked, and the prior-art mode, through the
real ofonod, ota-test-server, uicc-emu and stkbridge-agent (scripted):

  card1 (its own agent):  DISPLAY TEXT, the user never answers: oFono's 25 s
                          agent timeout, Cancel, TERMINAL RESPONSE "no response
                          from user" -> R1 general result 12
  card0 (its own agent), while card1 waits:
    SELECT ITEM, the user presses back          -> R1 general result 11
    GET INPUT, the user ends the session        -> R1 general result 10
    prior-art TAR (patent Fig. 2): the applet answers through the closed
    envelope handler after the user confirmed: the PoR of C1 carries no IR,
    the transaction fails, never gets R1, and the card logs the refused write.

Two cards in one ofonod, one agent per modem (--modem): the answers of each
modem come in a known order.

usage: test-outcomes.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import Stack, args_bins, card_ini, events  # noqa: E402

DISPLAY_TEXT, GET_INPUT, SELECT_ITEM = 0x21, 0x23, 0x24
MG_TAR = {"ir": "fixed:60", "mg-address": "+15550100"}
EV_MG = {"mg": True, "rq": False, "preset-ms": None}


def run():
    plugin, bins = args_bins(sys.argv)
    with Harness(plugin, bins["uicc_emu"]) as h:
        s = Stack(h, bins)
        try:
            s.start({"card0": card_ini("89882390000000000207", "001010000000207", "+15550207",
                                       {"defe01": MG_TAR, "defe09": {"mode": "prior-art", "ir": "fixed:60"}}),
                     "card1": card_ini("89882390000000000306", "001010000000306", "+15550306",
                                       {"defe01": MG_TAR})})
            agent0 = s.agent("agent0", "card0", ["back", "end", "confirm"])
            agent1 = s.agent("agent1", "card1", ["timeout"])
            s.bring_up("card0")
            s.bring_up("card1")
            agent0.wait_registered()
            agent1.wait_registered()
            outcomes(h, s, agent0, agent1)
        finally:
            s.stop()


def expect_r1(s, card, tx, general, action):
    """R1 with this general result and no answer, on every hop after the card."""
    check(tx["state"] == "completed", lambda: "transaction %d completed" % tx["id"])
    check(tx["result"] == {"general": general, "additional": ""},
          lambda: "R1 delivered by the API: general result %02x, no answer: %s" % (general, tx["result"]))
    link = s.check_link(card, tx)
    done = [m for m in link["pors"] if m["type"] == "R2S" and m.get("state") == "done"]
    check(len(done) == 1 and done[0]["result"] == {"general": "%02x" % general} and done[0]["action"] == action and
          done[0]["txid"] == tx["txid"] == link["commands"][0]["txid"],
          lambda: "R2S on the link: %s, result %02x, matched to C1 by txid %s" % (action, general, tx["txid"]))
    check([e.get("trigger") for e in events(tx, "c2-sent")] == ["mg"] and len(link["mgs"]) == 1,
          "the MG sent C2")


def outcomes(h, s, agent0, agent1):
    # ---- card1: nobody answers (oFono's 25 s timeout) -- runs while card0 does the rest --------
    t_start = time.time()
    t_to = s.start_tx("card1", action="display-text", text="Still there?", tar="defe01", ev=EV_MG)

    # ---- card0: back ---------------------------------------------------------------------------
    t0 = time.time()
    t_back = s.start_tx("card0", action="select-item", text="Pay how?", items=["Card", "Cash"], tar="defe01",
                        ev=EV_MG)
    tx = s.wait_final(t_back)
    a = agent0.wait_requests(1)[0]
    check(a["method"] == "RequestSelection" and a["text"] == "Pay how?" and a["error"] == "org.ofono.Error.GoBack" and
          a["outcome"] == "error", lambda: "agent: the user pressed back on %r (%s)" % (a["text"], a["error"]))
    tr = s.terminal_response("card0", SELECT_ITEM, t0)
    check(tr.get("general") == 0x11 and "item" not in tr,
          lambda: "TERMINAL RESPONSE at the card: 'backward move' 11, no "
          "item: %s" % tr["raw"])
    expect_r1(s, "card0", tx, 0x11, "select-item")

    # ---- card0: end session ----------------------------------------------------------------------
    t0 = time.time()
    t_end = s.start_tx("card0", action="get-input", text="Your name?", tar="defe01", ev=EV_MG)
    tx = s.wait_final(t_end)
    a = agent0.wait_requests(2)[1]
    check(a["method"] == "RequestInput" and a["error"] == "org.ofono.Error.EndSession",
          lambda: "agent: the user ended the session (%s)" % a["error"])
    tr = s.terminal_response("card0", GET_INPUT, t0)
    check(tr.get("general") == 0x10 and "text" not in tr,
          lambda: "TERMINAL RESPONSE at the card: 'session terminated by "
          "the user' 10, no text: %s" % tr["raw"])
    expect_r1(s, "card0", tx, 0x10, "get-input")

    # ---- card0: prior-art mode, R1 lost ----------------------------------------------------------
    t0 = time.time()
    t_pa = s.start_tx("card0", action="display-text", text="Old style?", tar="defe09")
    tx = s.wait_final(t_pa)
    check(tx["state"] == "failed" and "lost" in (tx["why"] or ""),
          lambda: "prior-art: transaction failed: %s" % tx["why"])
    check([e["event"] for e in tx["timeline"]] == ["queued", "c1-sent", "por-received", "failed"],
          "timeline: C1, a PoR, failed -- no IR, no C2, no R1")
    check(tx["result"] is None and not events(tx, "r1-delivered"), "the transaction never gets R1")
    link = s.check_link("card0", tx)
    check(not link["pors"], "the PoR of C1 on the link is status 00 without additional data (no IR)")
    a = agent0.wait_requests(3)[2]
    check(a["method"] == "DisplayText" and a["text"] == "Old style?" and a["answer"] == "confirm",
          lambda: "agent: the user confirmed %r anyway" % a["text"])
    tr = s.wait_terminal_responses("card0", DISPLAY_TEXT, t0)[0]
    check(tr.get("general") == 0 and (tr["sw"] == "9000" or tr["sw"].startswith("91")),
          lambda: "TERMINAL RESPONSE 00 reached the card (SW %s): the answer exists now" % tr["sw"])
    card_log = lambda: s.h.cards["card0"]["proc"].log_text()  # noqa: E731
    line = h.wait_for(lambda: [l for l in card_log().splitlines()
                               if "prior-art: R1 of %s lost: the envelope response handler refused it" % tx["txid"]
                               in l], 30, "the card's log of the refused write")
    check(True, lambda: "card log: %s" % line[0].split("uicc-deferred-", 1)[-1])
    check(s.stored_r1("card0", "defe09", tx["txid"]) is None, "nothing stored on the card for it")

    # ---- card1: the timeout -------------------------------------------------------------------
    tx = s.wait_final(t_to, timeout=60)
    a = agent1.wait_requests(1)[0]
    check(a["method"] == "DisplayText" and a["text"] == "Still there?" and a["outcome"] == "cancelled" and
          a["answer"] is None and 24000 <= a["elapsed_ms"] < 30000,
          lambda: "agent: no answer; oFono cancelled the request after %d ms" % a["elapsed_ms"])
    check(len(agent1.events("Cancel")) == 1, "oFono called Cancel() on the agent (JSON log)")
    tr = s.terminal_response("card1", DISPLAY_TEXT, t_start)
    check(tr.get("general") == 0x12,
          lambda: "TERMINAL RESPONSE at the card: 'no response from user' 12: %s" % tr["raw"])
    expect_r1(s, "card1", tx, 0x12, "display-text")
    log("card1's transaction took %.1f s; card0's three ran meanwhile" % (time.time() - t_start))

    # ---- counters -----------------------------------------------------------------------------
    check(s.check_counters("card0") == 3 + 3 + 1, "card0: 7 commands (C1, C2, release twice; one C1)")
    check(s.check_counters("card1") == 3, "card1: 3 commands")


if __name__ == "__main__":
    main_wrapper(run)
