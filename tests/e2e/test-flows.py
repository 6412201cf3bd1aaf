#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The deferred flow (doc/architecture.md) through the real ofonod, ota-test-server
and uicc-emu, with the real stkbridge-agent in scripted mode, for every EV
rule and every RQ form, with DISPLAY TEXT, GET INPUT and SELECT ITEM, and
the PoR in the DELIVER-REPORT and by SMS-SUBMIT.  One setup, one card with
one TAR per case (the card's TAR decides the IR's RQ form and the PoR
route; the transaction's "ev" decides what sends C2):

  tx  TAR     IR (card)           EV (server)           action        C2 trigger   PoR
  1   defe01  fixed 60 s + MG     MG                    display text  mg           DELIVER-REPORT
  2   defe02  fixed 2 s           RQ fixed duration     get input     rq           DELIVER-REPORT
  3   defe03  fixed 3600 s        preset 1.5 s          select item   preset       DELIVER-REPORT
  4   defe04  indefinite          (preset not applied)  display text  poll, backoff
  5   defe05  until MG sent       MG                    select item   mg
  6   defe06  until next session  next session          get input     next-session
  7   defe07  fixed 60 s + MG     MG                    get input     mg           SMS-SUBMIT (SPI 1639)

Every hop is asserted: the secured packets on the netsim link (unwrapped
with the card's keys, counter = the API's), the agent's JSON log (text and
answer), the TERMINAL RESPONSE bytes the card received (ApduTap), R1 in the
card's state file before C2, the MG, the R2S and the R1 the API delivers
(matched to C1 by txid), and the counters on both sides.

With MODEM_EMU the same flows run over Network=qmi (e2e-qmi-flows): the
modem is a modem-emu modem whose own SIM carries the card's number (and is
registered at the server too), the card stays on the host (Uicc=emu); every
PoR then comes by SMS-SUBMIT, the card's own or the one the plugin forwards
because WMS Send Ack cannot carry it (doc/plugin.md).

With MODEM_EMU uicc=qmi (e2e-qmi-uicc-flows) the card is the modem's own SIM
(Uicc=qmi + Network=qmi): modem-emu's firmware downloads the SMS-PP itself
(the PoR in its RP-ACK, or the card's SEND SHORT MESSAGE), the proactive
commands reach oFono as raw CAT indications, the TERMINAL RESPONSEs go back
with their reference ids; the tap still sees every APDU between the
firmware and the card.

usage: test-flows.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI [MODEM_EMU [uicc=qmi]]
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
if len(sys.argv) > 6:
    from qmi_env import enter_namespace  # noqa: E402
    enter_namespace()
from harness import check, log, main_wrapper  # noqa: E402
from otaflow import card_ini, events, run_one_card, ts  # noqa: E402

DISPLAY_TEXT, GET_INPUT, SELECT_ITEM, SEND_SM = 0x21, 0x23, 0x24, 0x13
SLACK = 5.0       # s: how late a timer's C2 may be on a loaded machine

TARS = {
    "defe01": {"ir": "fixed:60", "mg-address": "+15550100"},
    "defe02": {"ir": "fixed:2"},
    "defe03": {"ir": "fixed:3600"},
    "defe04": {"ir": "indefinite"},
    "defe05": {"ir": "event", "mg-address": "+15550100"},
    "defe06": {"ir": "event"},
    "defe07": {"ir": "fixed:60", "mg-address": "+15550100", "spi": "1639"},
}

ANSWERS = [
    "confirm",                   # 1
    "text:Grüße 42",             # 2  (UCS2 on the card side)
    "select:2",                  # 3  third item: id 3
    "wait:4000 confirm",         # 4  answered well after the first poll (its R2S: pending)
    "select:0",                  # 5
    "text:4711",                 # 6
    "text:via SUBMIT",           # 7
]


def c2_triggers(tx):
    return [e.get("trigger") for e in events(tx, "c2-sent")]


def common_checks(s, tx, tx_id, r1, spi="1619", request=None, tr=None):
    """The hops every flow shares; returns the decoded link messages."""
    check(tx["state"] == "completed", lambda: "tx %d completed" % tx_id)
    link = s.check_link("card0", tx, spi=spi)
    check(link["commands"] and link["pors"], lambda: "tx %d: commands and PoRs on the link: %s" % (tx_id, link))
    c1 = link["commands"][0]
    check(c1["type"] == "C1" and c1["action"] == request["action"], lambda: "tx %d: C1 asks %s" % (tx_id, c1["action"]))
    if request.get("text"):
        check(c1.get("text") == request["text"], lambda: "C1 text %r" % c1.get("text"))
    ir = link["pors"][0]
    check(ir["type"] == "IR" and ir["rq"] == tx["rq"], lambda: "IR in the PoR of C1: RQ %s = the API's rq" % ir["rq"])
    done = [m for m in link["pors"] if m["type"] == "R2S" and m.get("state") == "done"]
    check(len(done) == 1, "one R2S done on the link")
    released = [m for m in link["pors"] if m["type"] == "R2S" and m.get("state") == "released"]
    check(len(released) == 1 and link["commands"][-1]["type"] == "release", "release answered 'released'")
    # R1 as the API delivers it, matched to C1 by the txid
    res = tx["result"]
    check(res == r1, lambda: "tx %d R1 delivered by the API: %s" % (tx_id, res))
    check(done[0]["txid"] == tx["txid"] == c1["txid"], lambda: "R1 matched to C1 by txid %s" % tx["txid"])
    check(int(done[0]["result"]["general"], 16) == res["general"], "R2S general result = R1's")
    check(len(events(tx, "r1-delivered")) == 1, "R1 delivered once")
    if tr is not None:
        check(tr["sw"] == "9000" or tr["sw"].startswith("91"),
              lambda: "TERMINAL RESPONSE accepted by the card (SW %s)" % tr["sw"])
    if s.network == "qmi" and s.uicc != "qmi":
        vias = {e["via"] for e in events(tx, "por-received")}
        check(vias == {"sms-submit"}, lambda: "tx %d over QMI: every PoR by SMS-SUBMIT (WMS Send Ack carries none): "
              "%s" % (tx_id, vias))
    return link


def run():
    run_one_card(sys.argv, card_ini("89882390000000000108", "001010000000108", "+15550108", TARS), ANSWERS, flows,
                 server_args=["--backoff-ms", "600", "--backoff-max-ms", "1200"])


def flows(h, s, agent):
    # ---- 1: EV rule MG; DISPLAY TEXT confirmed; PoR in the DELIVER-REPORT -------------------
    t0 = time.time()
    req = {"action": "display-text", "text": "Pay 10 EUR to ACME?", "tar": "defe01",
           "ev": {"mg": True, "rq": False, "preset-ms": None}}
    t1 = s.start_tx("card0", **req)
    tx = s.wait_final(t1)
    a = agent.wait_requests(1)[0]
    check(a["method"] == "DisplayText" and a["text"] == "Pay 10 EUR to ACME?" and a["answer"] == "confirm" and
          a["outcome"] == "replied", lambda: "agent showed %r and answered %s" % (a["text"], a["answer"]))
    tr = s.terminal_response("card0", DISPLAY_TEXT, t0)
    check(tr.get("general") == 0 and tr.get("qualifier") == 0x80,
          lambda: "TERMINAL RESPONSE at the card: DISPLAY TEXT (wait for user to clear), result 00: %s" % tr["raw"])
    link = common_checks(s, tx, t1, {"general": 0, "additional": ""}, request=req, tr=tr)
    check(c2_triggers(tx) == ["mg"] and len(link["mgs"]) == 1, "EV MG: C2 sent on the MG")
    check(tx["rq"] == {"form": "fixed", "seconds": 60}, "IR: fixed 60 s (not waited for)")
    sm = s.terminal_response("card0", SEND_SM, t0)
    check(sm.get("general") == 0, lambda: "SEND SHORT MESSAGE (the MG) performed: TERMINAL RESPONSE %s" % sm["raw"])

    # ---- 2: EV rule RQ fixed duration; GET INPUT with the user's text ------------------------
    t0 = time.time()
    req = {"action": "get-input", "text": "Code für Tür?", "tar": "defe02",
           "input": {"min": 1, "max": 12}, "ev": {"mg": False, "rq": True, "preset-ms": None}}
    # the C2 ENVELOPE (2 s after C1) waits in the tap until the test has seen R1 in the card's state
    # file: else, on a slow machine, C2 and the release could empty it first
    s.apdu["card0"].hold(lambda c: c[:2] == b"\x80\xc2" and
                         any(t.get("type") == GET_INPUT for t in s.terminal_responses("card0", t0)))
    t2 = s.start_tx("card0", **req)
    a = agent.wait_requests(2)[1]
    check(a["method"] == "RequestInput" and a["text"] == "Code für Tür?" and a["answer"] == "Grüße 42" and
          a["min"] == 1 and a["max"] == 12,
          lambda: "agent asked %r (1-12 chars), the user typed %r" % (a["text"], a["answer"]))
    tr = s.wait_terminal_responses("card0", GET_INPUT, t0)[0]
    check(tr.get("general") == 0 and tr.get("text") == "Grüße 42", lambda: "TERMINAL RESPONSE at the card: "
          "GET INPUT, result 00, text %r: %s" % (tr.get("text"), tr["raw"]))
    txid = s.api.tx(t2)["txid"]
    stored = s.wait_r1_stored("card0", "defe02", txid)
    s.apdu["card0"].release()
    log("C2 ENVELOPEs the tap held until then: %d" % len(s.apdu["card0"].held))
    check(stored.get("state") == "0" and stored.get("r2s"),
          lambda: "before C2 reached the card, it held R1 (state done) in its state file: r2s %s" % stored.get("r2s"))
    tx = s.wait_final(t2)
    r1 = {"general": 0, "additional": "", "text": "Grüße 42"}
    link = common_checks(s, tx, t2, r1, request=req, tr=tr)
    done = [e for e in events(tx, "por-received") if e["command"] == "c2"][0]
    check(done["data"] == stored["r2s"], "the R2S of C2 is the R1 the card stored")
    c2 = events(tx, "c2-sent")[0]
    waited = ts(c2["at"]) - ts(events(tx, "c1-sent")[0]["at"])
    # the trigger says what sent C2; the bounds that it went when the RQ's 2 s were over
    # (not before; the upper bound only has to tell it from the other rules' times)
    check(c2_triggers(tx) == ["rq"] and 1.99 <= waited < 2 + SLACK,
          lambda: "EV RQ: C2 %.2f s after C1 (RQ fixed 2 s)" % waited)
    check(tx["rq"] == {"form": "fixed", "seconds": 2}, "RQ form fixed, 2 s")
    check(not link["mgs"] and not events(tx, "mg-received"), "no MG (the TAR has no MG address, C1 none)")

    # ---- 3: EV rule preset time; SELECT ITEM --------------------------------------------------
    t0 = time.time()
    req = {"action": "select-item", "text": "Delivery", "items": ["Home", "Office", "Locker"], "tar": "defe03",
           "ev": {"mg": False, "rq": False, "preset-ms": 1500}}
    t3 = s.start_tx("card0", **req)
    tx = s.wait_final(t3)
    a = agent.wait_requests(3)[2]
    check(a["method"] == "RequestSelection" and a["text"] == "Delivery" and
          [i["text"] for i in a["items"]] == ["Home", "Office", "Locker"] and a["answer"] == 2,
          lambda: "agent showed the menu %s and chose index %s" % ([i["text"] for i in a["items"]], a["answer"]))
    tr = s.terminal_response("card0", SELECT_ITEM, t0)
    check(tr.get("general") == 0 and tr.get("item") == 3,
          lambda: "TERMINAL RESPONSE at the card: SELECT ITEM, item id 3: %s" % tr["raw"])
    common_checks(s, tx, t3, {"general": 0, "additional": "", "item": 3}, request=req, tr=tr)
    waited = ts(events(tx, "c2-sent")[0]["at"]) - ts(events(tx, "c1-sent")[0]["at"])
    check(c2_triggers(tx) == ["preset"] and 1.49 <= waited < 1.5 + SLACK,
          lambda: "EV preset: C2 %.2f s after C1 (1.5 s)" % waited)

    # ---- 4: RQ indefinite: no preset, SV1 polls; R2S pending, then backoff ---------------------
    t0 = time.time()
    req = {"action": "display-text", "text": "Indefinite?", "tar": "defe04",
           "ev": {"mg": False, "rq": True, "preset-ms": 300}}
    t4 = s.start_tx("card0", **req)
    s.wait_event(t4, "ir-received")
    h.stays(lambda: not events(s.api.tx(t4), "c2-sent"), 0.6, "indefinite RQ: the 300 ms preset is not applied")
    status, body = s.api.poll(t4)
    check(status == 202, lambda: "POST /poll accepted: %s" % body)
    tx = s.wait_final(t4)
    a = agent.wait_requests(4)[3]
    check(a["method"] == "DisplayText" and a["text"] == "Indefinite?" and a["answer"] == "confirm" and
          a["elapsed_ms"] >= 4000, lambda: "agent confirmed after %s ms" % a.get("elapsed_ms"))
    tr = s.terminal_response("card0", DISPLAY_TEXT, t0)
    check(tr.get("general") == 0, "TERMINAL RESPONSE result 00 at the card")
    link = common_checks(s, tx, t4, {"general": 0, "additional": ""}, request=req, tr=tr)
    trig = c2_triggers(tx)
    states = [e["state"] for e in events(tx, "r2s-received")]
    check(tx["rq"] == {"form": "indefinite"} and trig[0] == "poll" and len(trig) >= 2 and
          all(t == "backoff" for t in trig[1:]), lambda: "RQ indefinite: C2 by the poll, then backoff: %s" % trig)
    check(states[0] == "pending" and states[-2:] == ["done", "released"] and
          set(states[1:-2]) <= {"pending"}, lambda: "R2S pending until the user answered, then done: %s" % states)
    pend = [m for m in link["pors"] if m["type"] == "R2S" and m["state"] == "pending"]
    check(len(pend) == len(trig) - 1, lambda: "every pending R2S on the link (%d)" % len(pend))

    # ---- 5: RQ until MG sent; SELECT ITEM --------------------------------------------------------
    t0 = time.time()
    req = {"action": "select-item", "items": ["Yes, deliver", "No"], "tar": "defe05",
           "ev": {"mg": True, "rq": True, "preset-ms": None, "wanted": {"form": "until-mg", "seconds": 600}}}
    t5 = s.start_tx("card0", **req)
    tx = s.wait_final(t5)
    a = agent.wait_requests(5)[4]
    check(a["method"] == "RequestSelection" and a["answer"] == 0 and a["text"] == "", "agent: menu without "
          "title, first item")
    link = common_checks(s, tx, t5, {"general": 0, "additional": "", "item": 1}, request=req)
    check(tx["rq"] == {"form": "until-event", "event": "mg-sent", "seconds": 600},
          lambda: "RQ until MG sent: %s" % tx["rq"])
    check(link["commands"][0].get("wanted") == {"form": "until-event", "event": "mg-sent", "seconds": 600},
          lambda: "C1 asked for it (wanted extension %s)" % link["commands"][0].get("wanted"))
    tr = s.terminal_response("card0", SELECT_ITEM, t0)
    check(tr.get("general") == 0 and tr.get("item") == 1,
          lambda: "TERMINAL RESPONSE at the card: item id 1: %s" % tr["raw"])
    check(c2_triggers(tx) == ["mg"] and len(link["mgs"]) == 1, "C2 on the MG")

    # ---- 6: RQ until next session: C2 goes when SV1 starts another transaction -----------------
    t0 = time.time()
    req = {"action": "get-input", "text": "Number?", "tar": "defe06", "input": {"min": 4, "max": 4, "digits": True},
           "ev": {"mg": False, "rq": True, "preset-ms": None}}
    t6 = s.start_tx("card0", **req)
    a = agent.wait_requests(6)[5]
    check(a["method"] == "RequestDigits" and a["answer"] == "4711", "digits-only GET INPUT: RequestDigits, 4711")
    s.wait_terminal_responses("card0", GET_INPUT, t0)
    txid6 = s.api.tx(t6)["txid"]
    s.wait_r1_stored("card0", "defe06", txid6)
    tx = s.wait_state(t6, "waiting")
    check(tx["rq"] == {"form": "until-event", "event": "next-session"},
          lambda: "RQ until next session: %s" % tx["rq"])
    h.stays(lambda: (lambda t: t["state"] == "waiting" and not events(t, "c2-sent"))(s.api.tx(t6)), 1.0,
            "RQ until next session: R1 stored, the transaction waits, no C2")

    # ---- 7: the next session (also: PoR by SMS-SUBMIT, SPI 1639) ---------------------------------
    t0 = time.time()
    req7 = {"action": "get-input", "text": "PoR route?", "tar": "defe07",
            "ev": {"mg": True, "rq": False, "preset-ms": None}}
    t7 = s.start_tx("card0", **req7)
    tx = s.wait_final(t6)
    common_checks(s, tx, t6, {"general": 0, "additional": "", "text": "4711"}, request=req)
    check(c2_triggers(tx) == ["next-session"], lambda: "C2 sent as transaction %d starts (next session)" % t7)
    tx = s.wait_final(t7)
    a = agent.wait_requests(7)[6]
    check(a["answer"] == "via SUBMIT", lambda: "agent typed %r" % a["answer"])
    link = common_checks(s, tx, t7, {"general": 0, "additional": "", "text": "via SUBMIT"}, spi="1639", request=req7)
    vias = {e["via"] for e in events(tx, "por-received")}
    check(vias == {s.via("sms-submit")}, lambda: "every PoR of tx 7 came by SMS-SUBMIT (SPI 1639): %s" % vias)
    # the last one (PoR of the release) is answered after the server has the PoR: wait for it
    sms = s.wait_terminal_responses("card0", SEND_SM, t0, count=4)
    check(len(sms) == 4 and all(t.get("general") == 0 for t in sms),
          "SEND SHORT MESSAGE x4 at the card (PoR of C1, MG, PoR of C2, PoR of release), all performed")

    # ---- both sides agree on the counter -------------------------------------------------------
    n = s.check_counters("card0")
    check(n == 3 * 7 + (len(c2_triggers(s.api.tx(t4))) - 1), lambda: "%d commands sent in all: C1, C2, release per "
          "transaction and the extra C2s of tx 4" % n)
    check(len(agent.requests()) == 7 and all(r["outcome"] == "replied" for r in agent.requests()),
          "the agent answered 7 requests")


if __name__ == "__main__":
    main_wrapper(run)
