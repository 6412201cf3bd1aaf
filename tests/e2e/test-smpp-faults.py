#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""ota-test-server's SMPP link when the SMSC misbehaves, through the test SMSC
(tests/smsc, node-smpp) and the real ofonod, stkbridge plugin, uicc-emu and
stkbridge-agent.  The SMSC drops RP-ACK data (as osmo-msc's does), so the
TARs ask for the PoR by SMS-SUBMIT (SPI 1639), except defe02 (1619).

  0. a bind refused for a bad password: a clear error (ESME_RINVPASWD) in the
     log and in GET /v1/links, binds retried with a doubling backoff (no busy
     loop), the password nowhere;
  1. throttling: the SMSC answers ESME_RTHROTTLED three times: the same
     submit_sm (same counter) goes again after growing pauses, the window
     halves, a "submit-retry" event, the transaction completes;
  1b. refusals: ESME_RSYSERR (the command goes again with a fresh counter,
     the transaction completes), ESME_RINVDSTADR (the transaction fails
     with the reason);
  1c. a command packet in three SMS: three submit_sm, each with the
     concatenation IE (the first with the command packet IE 70), reassembled
     by the card;
  2. a deliver_sm libsmpp34 cannot read: answered ESME_RX_P_APPN, the link
     stays, a "link-refused" event on the card's transaction;
  3. a PDU with an impossible command_length: generic_nack, the connection
     is reset and bound again, nothing lost (the transaction completes);
  4. the SMSC killed (-9) on receiving C2, before answering: after it comes
     back and the link is bound again, C2 goes again with a fresh counter
     ("smpp-rebound"); R1 delivered; counters equal on both sides;
  5. the SMSC killed while the user reads the text, restarted: the MG and
     the rest get through;
  6. SPI 1619 (PoR in the RP-ACK) over an SMSC that drops RP-ACK data: the
     API's answer says so, and indeed no PoR arrives;
  7. SIGTERM: the server unbinds before it exits.

usage: test-smpp-faults.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import Api, Stack, args_bins, card_ini, events, free_port  # noqa: E402
from smsc import PASSWORD, Smsc, Unavailable, check_smpp, link_status, smpp_config, wait_bound  # noqa: E402

ICCID, MSISDN = "89882390000000000207", "+15550207"
TARS = {
    "defe01": {"ir": "fixed:60", "mg-address": "+15550100", "spi": "1639"},
    "defe02": {"ir": "fixed:60", "spi": "1619"},
    "defe04": {"ir": "indefinite", "spi": "1639"},
}
ANSWERS = ["confirm", "confirm", "confirm", "wait:2500 confirm", "wait:2500 confirm", "confirm", "wait:5000 confirm", "confirm"]
EV_MG = {"mg": True, "rq": False, "preset-ms": None}
EV_POLL = {"mg": False, "rq": True, "preset-ms": None}


def run():
    plugin, bins = args_bins(sys.argv)
    with Harness(plugin, bins["uicc_emu"]) as h:
        try:
            smsc = Smsc(h, forward_rp_ack=False, subscribers={MSISDN: ICCID})
        except Unavailable as e:
            print("1..0 # SKIP %s" % e)
            sys.exit(77)
        bad_password(h, bins, smsc)
        s = Stack(h, bins)
        try:
            s.start({"card0": card_ini(ICCID, "001010000000207", MSISDN, TARS)}, smsc=smsc,
                    server_args=["--por-timeout-ms", "8000"],
                    smpp={"registered-delivery": True, "rp-ack-forwarded": False})
            agent = s.agent("agent", "card0", ANSWERS)
            s.bring_up("card0")
            agent.wait_registered()
            throttling(h, s, smsc)
            refusals(h, s, smsc)
            concatenated(h, s, smsc)
            malformed_body(h, s, smsc)
            malformed_length(h, s, smsc)
            killed_on_submit(h, s, smsc)
            killed_while_waiting(h, s, smsc)
            rp_ack_dropped(h, s, smsc)
            sigterm(h, s, smsc)
        finally:
            s.stop()


def bad_password(h, bins, smsc):
    """0: a server whose config has the wrong password."""
    port = free_port()
    cfg = smpp_config(h.path("wrong.ini"), password="wr0ng", reconnect_min_ms=200, reconnect_max_ms=1600)
    server = h.start_process("ots-wrong-password", [bins["server"], "--db", h.path("wrong.db"), "--http",
                                                    "127.0.0.1:%d" % port, "--smpp", "127.0.0.1:%d" % smsc.port,
                                                    "--smpp-config", cfg])
    api = Api("http://127.0.0.1:%d" % port)
    h.wait_for(lambda: len(smsc.stats()["bindRefusals"]) >= 5, 20, "5 binds refused")
    refusals = smsc.stats()["bindRefusals"]
    gaps = [b - a for a, b in zip(refusals, refusals[1:])]
    check(gaps[0] >= 0.15 and all(b >= a * 1.5 for a, b in zip(gaps, gaps[1:4])),
          lambda: "binds retried after growing pauses (backoff 200 ms doubling): gaps %s s" % ["%.2f" % g for g in gaps])
    st = h.wait_for(lambda: (lambda l: l if l["sessions"][0]["bind-failures"] >= 5 else None)(link_status(api)),
                    5, "the failures in GET /v1/links")
    ses = st["sessions"][0]
    check(st["state"] == "not bound" and "ESME_RINVPASWD" in ses["last-error"],
          lambda: "GET /v1/links: not bound, last error %r, %d bind failures" % (ses["last-error"], ses["bind-failures"]))
    server.stop()
    text = server.log_text()
    check("bind refused: ESME_RINVPASWD" in text, "the log says: bind refused: ESME_RINVPASWD")
    check("wr0ng" not in text and "wr0ng" not in str(st), "the password is neither in the log nor in the API")
    check(server.popen.returncode == 0, "the server stopped cleanly (SIGTERM)")


def throttling(h, s, smsc):
    """1: three ESME_RTHROTTLED for C1."""
    before = link_status(s.api)
    smsc.cmd(cmd="throttle", count=3)
    t = s.start_tx("card0", action="display-text", text="Throttled?", tar="defe01", ev=EV_MG)
    tx = s.wait_final(t, 40)
    check(tx["state"] == "completed" and tx["result"]["general"] == 0, lambda: "tx %d completed through throttling" % t)
    c1 = events(tx, "c1-sent")
    check(len(c1) == 1, lambda: "C1 sent once by the engine (counter %s): the SMSC's refusals are the link's to retry" %
          c1[0]["cntr"])
    retry = events(tx, "submit-retry")
    check(len(retry) == 1 and retry[0]["status"] == 0x58 and "ESME_RTHROTTLED" in retry[0]["reason"] and
          retry[0]["msg-id"] == c1[0]["msg-id"], lambda: "one submit-retry event: %s" % retry[0]["reason"])
    kind, _, downs = s.commands_on_link("card0", tx)[0]
    from otaflow import parse_deliver  # noqa: E402
    ud = parse_deliver(downs[0]["tpdu"])["ud"].hex()
    same = [e for e in smsc.events(smpp="submit_sm") if e["short_message"] == ud]
    check(len(same) == 4, "the same submit_sm (same counter, same bytes) 4 times: 3 throttled, 1 taken")
    gaps = [b["t"] - a["t"] for a, b in zip(same, same[1:])]
    check(gaps[0] >= 0.18 and gaps[1] >= 0.36 and gaps[2] >= 0.72,
          lambda: "sent again after 200, 400, 800 ms pauses: %s s" % ["%.2f" % g for g in gaps])
    st = link_status(s.api)
    check(st["throttled"] - before["throttled"] == 3 and st["window-now"] < st["window"],
          lambda: "link: 3 throttled, window lowered to %d of %d (grows back with successes)" %
          (st["window-now"], st["window"]))
    check_smpp(s, smsc, "card0", tx)


def refusals(h, s, smsc):
    """1b: a refusal that may pass next time, then one that will not."""
    smsc.cmd(cmd="refuse", status=0x08, count=1)            # ESME_RSYSERR
    t = s.start_tx("card0", action="display-text", text="Refused once?", tar="defe01", ev=EV_MG)
    tx = s.wait_final(t, 40)
    c1 = events(tx, "c1-sent")
    refused = events(tx, "submit-refused")
    check(tx["state"] == "completed" and len(refused) == 1 and refused[0]["status"] == 0x08 and
          "ESME_RSYSERR" in refused[0]["reason"] and len(c1) == 2 and c1[0]["cntr"] != c1[1]["cntr"] and
          refused[0]["msg-id"] == c1[0]["msg-id"],
          lambda: "ESME_RSYSERR: a submit-refused event, C1 again with a fresh counter (%s, %s), completed" %
          (c1[0]["cntr"], c1[1]["cntr"]))
    smsc.cmd(cmd="refuse", status=0x0B, count=1)            # ESME_RINVDSTADR
    t = s.start_tx("card0", action="display-text", text="Refused for good?", tar="defe01", ev=EV_MG)
    tx = s.wait_final(t, 20)
    check(tx["state"] == "failed" and "ESME_RINVDSTADR" in tx["why"] and len(events(tx, "c1-sent")) == 1 and
          events(tx, "submit-refused")[0]["status"] == 0x0B,
          lambda: "ESME_RINVDSTADR: the transaction failed: %s" % tx["why"])


def concatenated(h, s, smsc):
    """1c: a C1 too long for one SMS."""
    text = "Long text in several SMS: " + "x" * 200
    t = s.start_tx("card0", action="display-text", text=text, tar="defe01", ev=EV_MG)
    tx = s.wait_final(t, 40)
    n = events(tx, "c1-sent")[0]["segments"]
    check(tx["state"] == "completed" and n >= 2, lambda: "tx %d completed; C1 in %d SMS" % (t, n))
    submits = smsc.events(smpp="submit_sm")[-(n + 2):-2]     # C1's, before C2 and the release
    sms = [bytes.fromhex(e["short_message"]) for e in submits]
    ref = sms[0][3]
    check(sms[0][:8] == bytes([0x07, 0x00, 0x03, ref, n, 1, 0x70, 0x00]) and
          all(sms[i][:6] == bytes([0x05, 0x00, 0x03, ref, n, i + 1]) for i in range(1, n)) and
          all(e["esm_class"] == 0x40 and e["protocol_id"] == 0x7F for e in submits),
          lambda: "C1 as %d submit_sm: UDH 07 00 03 %02x %02x 01 70 00, then 05 00 03 %02x %02x i" % (n, ref, n, ref, n))
    packet = b"".join(m[1 + m[0]:] for m in sms)
    check(s.decode(s.unwrap_command(packet)["data"]).get("text") == text,
          "their short_messages after the UDH, joined, are the secured C1 with the whole text")


def malformed_body(h, s, smsc):
    """2: a deliver_sm whose destination TON libsmpp34 does not know, during a transaction."""
    before = link_status(s.api)
    t = s.start_tx("card0", action="display-text", text="Body?", tar="defe01", ev=EV_MG)
    s.wait_event(t, "ir-received")
    check(smsc.cmd(cmd="malformed", kind="body", source=MSISDN[1:])["ok"],
          "the SMSC sent a deliver_sm from the card's MSISDN with destination TON 7")
    answer = h.wait_for(lambda: [e for e in smsc.events(smpp="deliver_sm_resp") if e.get("seq") == 4243], 10,
                        "the answer to it")[0]
    check(answer["status"] == 0x65, "answered deliver_sm_resp ESME_RX_P_APPN (0x65)")
    ev = s.wait_event(t, "link-refused")
    check(ev["link"] == "smpp" and "libsmpp34" in ev["why"], lambda: "link-refused on tx %d: %s" % (t, ev["why"]))
    tx = s.wait_final(t, 30)
    st = link_status(s.api)
    check(tx["state"] == "completed" and st["deliver-sm-refused"] == before["deliver-sm-refused"] + 1 and
          st["sessions"][0]["resets"] == before["sessions"][0]["resets"],
          lambda: "the link stayed up (no reset), tx %d completed" % t)


def malformed_length(h, s, smsc):
    """3: command_length 8: the stream cannot be followed."""
    before = link_status(s.api)
    binds = before["sessions"][0]["binds"]
    t = s.start_tx("card0", action="display-text", text="Length?", tar="defe01", ev=EV_MG)
    s.wait_event(t, "ir-received")
    check(smsc.cmd(cmd="malformed", kind="length")["ok"], "the SMSC sent a PDU with command_length 8")
    nack = h.wait_for(lambda: smsc.events(smpp="generic_nack"), 10, "generic_nack")[0]
    check(nack["status"] == 0x02, "answered generic_nack ESME_RINVCMDLEN")
    st = wait_bound(h, s.api, binds=binds + 1)
    check(st["malformed"] == before["malformed"] + 1 and st["sessions"][0]["resets"] == before["sessions"][0]["resets"] + 1,
          lambda: "the connection was reset and bound again (%d binds)" % st["sessions"][0]["binds"])
    tx = s.wait_final(t, 40)
    check(tx["state"] == "completed" and tx["result"]["general"] == 0 and len(events(tx, "mg-received")) == 1,
          lambda: "nothing lost: tx %d completed, its MG received once" % t)


def killed_on_submit(h, s, smsc):
    """4: the SMSC dies on C2's submit_sm, before answering it."""
    t0 = h_time()
    t = s.start_tx("card0", action="display-text", text="Kill on C2?", tar="defe04", ev=EV_POLL)
    s.wait_event(t, "ir-received")
    txid = s.api.tx(t)["txid"]
    h.wait_for(lambda: s.stored_r1("card0", "defe04", txid), 20, "R1 in the card's state file")
    smsc.cmd(cmd="die-on-submit")
    status, _ = s.api.poll(t)
    check(status == 202, "SV1 polls: C2")
    h.wait_for(lambda: not smsc.alive(), 10, "the SMSC died on C2's submit_sm")
    check(smsc.events(smsc="die")[-1]["why"] == "told to die on a submit_sm", "it died before answering C2")
    h.wait_for(lambda: link_status(s.api)["state"] != "bound", 10, "the link noticed")
    smsc.start()
    tx = s.wait_final(t, 60)
    c2 = events(tx, "c2-sent")
    check(tx["state"] == "completed" and [e["trigger"] for e in c2][:2] == ["poll", "smpp-rebound"] and
          c2[0]["cntr"] != c2[1]["cntr"],
          lambda: "C2 unanswered when the SMSC died went again after the re-bind with a fresh counter (%s, then %s)" %
          (c2[0]["cntr"], c2[1]["cntr"]))
    cntrs = [e["cntr"] for e in tx["timeline"] if e["event"].endswith("-sent")]
    check(len(cntrs) == len(set(cntrs)), lambda: "no counter used twice: %s" % cntrs)
    check(tx["result"]["general"] == 0 and len(events(tx, "r1-delivered")) == 1, "R1 delivered once")
    s.check_counters("card0")
    log("(%.1f s)" % (h_time() - t0))


def killed_while_waiting(h, s, smsc):
    """5: kill -9 while the user reads the text; the MG comes after the restart."""
    t = s.start_tx("card0", action="display-text", text="Kill now?", tar="defe01", ev=EV_MG)
    s.wait_event(t, "ir-received")
    smsc.kill()
    check(not smsc.alive(), "SMSC killed (-9) while the user reads the text")
    smsc.start()
    tx = s.wait_final(t, 60)
    check(tx["state"] == "completed" and tx["result"]["general"] == 0 and
          [e["trigger"] for e in events(tx, "c2-sent")][0] == "mg",
          "the MG came through the restarted SMSC; C2 on the MG; R1 delivered")
    s.check_counters("card0")


def rp_ack_dropped(h, s, smsc):
    """6: SPI 1619 over an SMSC that drops RP-ACK data."""
    status, body = s.api.call("POST", "/v1/transactions", {"iccid": ICCID, "action": "display-text",
                                                            "text": "RP-ACK?", "tar": "defe02", "ev": EV_MG})
    check(status == 201 and body["link"] == "smpp" and any("RP-ACK" in w and "spi=1639" in w
                                                          for w in body["warnings"]),
          lambda: "POST /v1/transactions warns: %s" % body["warnings"])
    t = body["id"]
    s.wait_event(t, "por-timeout", timeout=30)
    tx = s.api.tx(t)
    check(not events(tx, "por-received") and smsc.events(smsc="rp-ack data dropped"),
          "the card's PoR went in the RP-ACK and the SMSC dropped it: no PoR, the command times out")


def sigterm(h, s, smsc):
    """7: SIGTERM: unbind first."""
    n = len(smsc.events(smpp="unbind"))
    rc = s.server.stop()
    check(rc == 0 and len(smsc.events(smpp="unbind")) == n + 1, "SIGTERM: the server unbound, then exited 0")
    check(PASSWORD not in s.server.log_text(), "the password is nowhere in the server's log")


def h_time():
    import time
    return time.monotonic()


if __name__ == "__main__":
    main_wrapper(run)
