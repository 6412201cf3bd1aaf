#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The SimToolkit agent disappears in the middle of a DISPLAY TEXT: the real
stkbridge-agent (scripted to never answer) shows the applet's DisplayText
and is killed (-9) while oFono waits for it.  oFono must end the command
at once (not after its own 25 s wait) with a TERMINAL RESPONSE saying so
(general result 10, proactive session terminated by the user), the card's
applet records that result as R1, and the server's transaction ends with
that R1 (fetched by C2: with no agent oFono refuses the applet's SEND SHORT
MESSAGE, so no MG, and the server's C2 comes when the IR's 30 s are over);
ofonod keeps
running and the modem can take the next transaction with a new agent.

usage: test-agent-vanishes.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER STKBRIDGE_AGENT
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Harness, check, log, main_wrapper  # noqa: E402
from deferred_flow import CARD0_ICCID, card0_modem, create_tx, display_calls, tx_get, wait_final  # noqa: E402
from harness import TestAgent  # noqa: E402
from otaflow import Agent  # noqa: E402

# TS 102 223 §8.12 general results an ME may give for a DISPLAY TEXT nobody confirmed
NOT_CONFIRMED = {0x10: "proactive session terminated by the user", 0x11: "backward move",
                 0x12: "no response from user", 0x20: "terminal currently unable to process command",
                 0x30: "command beyond terminal's capabilities"}


def run():
    plugin, uicc_emu, card0, server, agent_exe = sys.argv[1:6]
    with Harness(plugin, uicc_emu) as h:
        api, path = card0_modem(h, card0, server)
        agent = Agent(h, agent_exe, "stkbridge-agent", path,
                      ["# never answer the DisplayText: the agent is killed meanwhile", "timeout"])
        agent.wait_registered()

        txurl = create_tx(api, CARD0_ICCID, "Confirm 30 EUR?")
        h.wait_for(lambda: "Confirm 30 EUR?" in agent.proc.log_text() and "(not answering)" in agent.proc.log_text(),
                   30,
                   "DisplayText at stkbridge-agent")
        check(True, "the DisplayText reached stkbridge-agent (which never answers)")
        card = h.cards["card0"]["proc"]
        trs = card.log_text().count("APDU 80 14 00 00")
        check(not agent.events("DisplayText"),
              "the DisplayText is still pending at the agent")
        agent.proc.kill9()
        log("stkbridge-agent killed (-9) with the DisplayText pending")
        # before oFono's own 25 s wait for the agent's reply would end (R1's general result below
        # says which of the two ended the command)
        h.wait_for(lambda: card.log_text().count("APDU 80 14 00 00") > trs, 20,
                   "the TERMINAL RESPONSE right after the agent vanished")
        check(True, "TERMINAL RESPONSE sent at once when the agent vanished")
        tx = wait_final(h, txurl, timeout=120)
        general = (tx.get("result") or {}).get("general")
        # oFono 1.31 answers "proactive session terminated by the user" when the agent leaves the bus
        check(tx["state"] == "completed" and general == 0x10,
              lambda: "R1 records the vanished agent: general result %s (%s)" % (
                  "%02X" % general if isinstance(general, int) else general, NOT_CONFIRMED.get(general)))
        card_log = h.cards["card0"]["proc"].log_text()
        check("APDU 80 14 00 00" in card_log, "the TERMINAL RESPONSE reached the card")
        check(h.ofonod.alive(), "ofonod running")

        # the next transaction with a new agent goes through
        a2 = TestAgent(h.bus, "/org/stkbridge/test/agent2")
        a2.register(h, path)
        tx2 = wait_final(h, create_tx(api, CARD0_ICCID, "Again?"), timeout=60)
        check(tx2["state"] == "completed" and (tx2.get("result") or {}).get("general") == 0 and display_calls(a2),
              "the next transaction completes with a new agent (general result 00)")
        log("first transaction: %s" % json.dumps(tx_get(txurl).get("result")))


if __name__ == "__main__":
    main_wrapper(run)
