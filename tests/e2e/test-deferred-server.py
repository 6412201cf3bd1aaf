#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The deferred flow (doc/architecture.md) end to end, every piece real: SV1 starts a
transaction on ota-test-server's HTTP API; SV2 sends C1 as an SMS-PP over
the netsim link; the stkbridge plugin in the real ofonod passes it to
uicc-emu; the PoR (IR) comes back in the RP-ACK; the applet's DISPLAY TEXT
reaches the test agent; the TERMINAL RESPONSE reaches the card; the MG
goes out by SEND SHORT MESSAGE; C2 fetches R1, which the API delivers as
the transaction's result (general result 00) and state "completed".

usage: test-deferred-server.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from deferred_flow import (CARD0_ICCID, card0_modem, check_card_saw_flow, check_completed,  # noqa: E402
                           create_tx, display_calls, wait_final)
from harness import Harness, TestAgent, check, main_wrapper  # noqa: E402


def check_fetched_at_once(ofonod_log):
    """The DISPLAY TEXT the card announced in its answer to C1's ENVELOPE (SimToolkit up, an agent
    registered) is FETCHed at once: the grace that lets agents re-register holds back only a command
    that was pending when SimToolkit appeared (the plugin's debug log says which)."""
    lines = ofonod_log.splitlines()
    download = [i for i, l in enumerate(lines) if "SMS-PP download: SW 91" in l]
    check(download, "C1's ENVELOPE answered 91XX (a proactive command announced)")
    decisions = [l for l in lines[download[0]:] if "FETCH of the" in l]
    check(decisions, "the plugin logged what it did with the announced command")
    check(decisions[0].endswith("command now"), lambda: "FETCHed at once, not held: %s" % decisions[0].strip())


def run():
    plugin, uicc_emu, card0, server = sys.argv[1:5]
    with Harness(plugin, uicc_emu) as h:
        api, path = card0_modem(h, card0, server)
        agent = TestAgent(h.bus)
        agent.register(h, path)
        # card0's SET UP MENU, pending since the TERMINAL PROFILE, is held for the agents' grace: let it pass
        h.wait_for(lambda: len(h.props(path, "org.ofono.SimToolkit").get("MainMenu", [])) > 0, 15,
                   "the card's main menu (SET UP MENU) at oFono")

        txurl = create_tx(api, CARD0_ICCID, "Pay 10 EUR?")
        h.wait_for(lambda: display_calls(agent), 30, "DisplayText at the agent")
        dt = display_calls(agent)[0]
        check(dt[1] == "Pay 10 EUR?", lambda: "agent shows %r" % dt[1])
        check_fetched_at_once(h.ofonod_log())

        check_completed(wait_final(h, txurl))
        check_card_saw_flow(h, "card0")


if __name__ == "__main__":
    main_wrapper(run)
