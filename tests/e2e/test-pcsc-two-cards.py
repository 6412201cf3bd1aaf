#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Two cards in two vpcd readers of one real pcscd ("Virtual PCD 00 00" on
port 35963, "Virtual PCD 00 01" on 35964), two modems in the config, and two
deferred transactions started at once: each card's DISPLAY TEXT reaches its
own modem's agent, both transactions complete with their own R1, each
card saw only its own ENVELOPE / TERMINAL RESPONSE.

usage: test-pcsc-two-cards.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcsc_env import PcscHarness, enter_namespace  # noqa: E402
from harness import check, main_wrapper  # noqa: E402
from deferred_flow import (CARD0_ICCID, card_config, check_card_saw_flow, check_completed, create_tx,  # noqa: E402
                           display_calls, modem_for, modem_up, start_server, wait_final)

CARD1_ICCID = "89882390000000000025"
CARD1_IMSI = "001010123456780"


def run():
    plugin, uicc_emu, card0, server = sys.argv[1:5]
    with PcscHarness(plugin, uicc_emu) as h:
        h.start_bus()
        h.start_pcscd()
        r0 = h.start_vpcd_card("card0", card0, slot=0)
        r1 = h.start_vpcd_card("card1", slot=1, config_text=card_config(card0, CARD1_ICCID, CARD1_IMSI))
        api, netsim = start_server(h, server, ["card0", "card1"])
        h.start_ofonod("[modem0]\nUicc=pcsc:%s\nNetwork=netsim:unix:%s\n"
                       "[modem1]\nUicc=pcsc:%s\nNetwork=netsim:unix:%s\n" % (r0, netsim, r1, netsim))
        p0, p1 = modem_for(h, "modem0"), modem_for(h, "modem1")
        imsi0, a0 = modem_up(h, p0, agent_path="/org/stkbridge/test/agent0")
        imsi1, a1 = modem_up(h, p1, agent_path="/org/stkbridge/test/agent1")
        check(imsi0 == "001010123456789" and imsi1 == CARD1_IMSI, "each modem reads its own card's IMSI")

        tx0 = create_tx(api, CARD0_ICCID, "Card zero?")
        tx1 = create_tx(api, CARD1_ICCID, "Card one?")
        h.wait_for(lambda: display_calls(a0) and display_calls(a1), 40, "DisplayText at both agents")
        check(display_calls(a0)[0][1] == "Card zero?" and display_calls(a1)[0][1] == "Card one?",
              "each agent shows its own card's text")
        t0 = wait_final(h, tx0)
        t1 = wait_final(h, tx1)
        check_completed(t0, what=" (card0 in %s)" % r0)
        check_completed(t1, what=" (card1 in %s)" % r1)
        check_card_saw_flow(h, "card0")
        check_card_saw_flow(h, "card1")
        log_text = h.ofonod_log()
        check("card in reader '%s'" % r0 in log_text and "card in reader '%s'" % r1 in log_text,
              "the plugin connected to both readers")


if __name__ == "__main__":
    enter_namespace()
    main_wrapper(run)
