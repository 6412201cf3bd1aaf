#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A misbehaving card behind real pcscd, through the real ofonod, next to a
healthy modem.  modem0's card sits in vpcd reader "Virtual PCD 00 00" behind
a fault-injecting link (card_proxy.py; the card itself is uicc-emu), with
UiccTimeout=2; modem1 is a healthy uicc-emu card on the emu backend.  Each
fault is checked for: a bounded wait or a bounded loop, a clear line in
ofonod's log, ofonod running, modem1 unaffected, modem0 back once the card
behaves again.

  A. unresponsive card: TERMINAL PROFILE never answered (vpcd blocks inside
     pcscd): "no answer from the card within 2000 ms", the reader connection
     is abandoned; meanwhile modem1 runs a whole deferred transaction; when
     the card answers (late) modem0 comes back by itself;
  B. garbage: a 1-byte answer (no status word) to SELECT EF_ICCID;
  C. oversized: 300 data bytes to READ BINARY with Le=10;
  D. 91XX forever: every status word 9110 and FETCH answered 9110 without a
     command: once the PIN is entered and the SIM ready, oFono's stk atom
     exists and the plugin FETCHes; the FETCH loop stops at
     SB_APDU_MAX_PROACTIVE_RUN (64).

usage: test-robust-card.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcsc_env import VPCD_BASE_PORT, PcscHarness, enter_namespace, reader_name  # noqa: E402
from harness import check, log, main_wrapper  # noqa: E402
from card_proxy import CardProxy  # noqa: E402
from deferred_flow import (PIN, card_config, check_completed, create_tx, display_calls, modem_for,  # noqa: E402
                           modem_up, start_server, wait_final)

CARD1_ICCID = "89882390000000000025"
CARD1_IMSI = "001010123456780"
SELECT_ICCID = bytes.fromhex("00a4080c022fe2")
READ_ICCID = bytes.fromhex("00b000000a")
MAX_PROACTIVE_RUN = 64


def run():
    plugin, uicc_emu, card0, server = sys.argv[1:5]
    with PcscHarness(plugin, uicc_emu) as h:
        h.start_bus()
        h.start_pcscd()
        sock0 = h.start_card("card0", config_path=card0)
        sock1 = h.start_card("card1", config_text=card_config(card0, CARD1_ICCID, CARD1_IMSI))
        proxy = CardProxy(sock0, vpcd_port=VPCD_BASE_PORT, name="card0-link")
        # A: TERMINAL PROFILE (80 10) never answered
        proxy.fault = lambda apdu: ("stall",) if apdu[1] == 0x10 else None
        api, netsim = start_server(h, server, ["card1"])
        h.start_ofonod("[modem0]\nUicc=pcsc:%s\nUiccTimeout=2\n"
                       "[modem1]\nUicc=emu:unix:%s\nNetwork=netsim:unix:%s\n" % (reader_name(0), sock1, netsim))
        p0, p1 = modem_for(h, "modem0"), modem_for(h, "modem1")
        h.power_up(p0, timeout=30)
        h.wait_for(lambda: "no answer from the card within 2000 ms" in h.ofonod_log(), 30, "the timeout logged")
        check(True, "A: unresponsive card: bounded wait (2 s) and a clear log line")
        sim0 = lambda: h.props(p0, "org.ofono.SimManager") if "org.ofono.SimManager" in h.interfaces(p0) else {}  # noqa: E731
        check(not sim0().get("Present"), "A: modem0 has no SIM while the card is stuck")

        _, agent1 = modem_up(h, p1, agent_path="/org/stkbridge/test/agent1")
        tx = wait_final(h, create_tx(api, CARD1_ICCID, "Other modem?"))
        check_completed(tx, what=" on modem1 while modem0's card is stuck")
        check(proxy.stalled.is_set(), "A: modem0's card still stuck meanwhile")
        check(h.ofonod.alive(), "A: ofonod running")

        proxy.fault = None
        proxy.release()
        h.wait_for(lambda: sim0().get("Present"), 40, "modem0's SIM once the card answers again")
        h.sim_ready(p0, PIN, timeout=30)
        check(True, "A: modem0 back by itself after the card answered (late)")

        def fault_round(tag, fault, needle, then=None):
            mark = len(h.ofonod_log())
            proxy.fault = fault
            proxy.eject(0.5)              # out of the reader and back: the plugin connects again
            if then:
                then()
            h.wait_for(lambda: needle in h.ofonod_log()[mark:], 30, "%s logged" % needle)
            line = [l for l in h.ofonod_log()[mark:].splitlines() if needle in l][0]
            check(True, lambda: "%s: clear log line: %s" % (tag, line.strip()))
            check(h.ofonod.alive(), lambda: "%s: ofonod running" % tag)
            check(str(h.props(p1, "org.ofono.SimManager").get("SubscriberIdentity")) == CARD1_IMSI and
                  h.props(p1, "org.ofono.NetworkRegistration").get("Status") == "registered",
                  lambda: "%s: modem1 unaffected" % tag)
            return mark

        # B: garbage
        fault_round("B", lambda apdu: ("answer", b"\x6f") if apdu.startswith(SELECT_ICCID) else None,
                    "garbage from the card in '%s': a 1-byte answer" % reader_name(0))
        proxy.fault = None
        h.wait_for(lambda: sim0().get("Present"), 40, "modem0's SIM after the garbage stopped")
        check(True, "B: modem0 back after the garbage stopped")

        # C: oversized
        fault_round("C", lambda apdu: ("answer", bytes(300) + b"\x90\x00") if apdu.startswith(READ_ICCID) else None,
                    "oversized response: 300 data bytes to a short APDU")
        proxy.fault = None
        h.wait_for(lambda: sim0().get("Present"), 40, "modem0's SIM after the oversized answers stopped")
        check(True, "C: modem0 back after the oversized answers stopped")

        # D: 91XX forever
        def always_91(apdu):
            if apdu[1] == 0x12:
                return ("answer", b"\x91\x10")
            return ("rewrite", lambda r: r[:-2] + b"\x91\x10" if r[-2:] == b"\x90\x00" else r)
        fetch0 = proxy.count(0x12)
        def sim_ready_again():
            h.wait_for(lambda: not sim0().get("Present"), 30, "modem0's SIM out with the card")
            h.sim_ready(p0, PIN, timeout=30)   # the stk atom comes with the ready SIM (post_sim)
        # the plugin logged that the loop stopped: from there the count must not move
        fault_round("D", always_91, "no more FETCH until it does (bounded FETCH loop)", then=sim_ready_again)
        n = proxy.count(0x12) - fetch0
        check(n <= MAX_PROACTIVE_RUN + 2, lambda: "D: FETCH loop bounded: %d FETCHes" % n)
        h.stays(lambda: proxy.count(0x12) - fetch0 == n, 2.0, "D: no FETCH after the loop stopped (%d in all)" % n)
        proxy.fault = None
        mark = len(h.ofonod_log())
        proxy.eject(0.5)
        h.wait_for(lambda: "modem0: card lost" in h.ofonod_log()[mark:], 30, "the card out of the reader")
        h.wait_for(lambda: sim0().get("Present"), 40, "modem0's SIM after the card behaves")
        h.sim_ready(p0, PIN, timeout=30)
        check(h.ofonod.alive(), "modem0 back and ready after all faults, ofonod running")
        log("FETCHes seen by card0: %d" % proxy.count(0x12))
        proxy.close()


if __name__ == "__main__":
    enter_namespace()
    main_wrapper(run)
