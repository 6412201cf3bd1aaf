#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The deferred flow of test-deferred-server.py with the card behind real
pcscd: uicc-emu's vpcd link is a card in reader "Virtual PCD 00 00" and the
modem has Uicc=pcsc:Virtual PCD 00 00.  Same assertions: DisplayText at the
agent, TERMINAL RESPONSE at the card, R1 delivered (general result 00),
transaction completed; and the plugin says which reader and protocol it
uses.  The card is a T=0 card that refuses a command without P3 (6700, as a
foreign software UICC behind vpcd did): the empty VERIFY that asks for the
PIN state reaches it as a 5-byte TPDU with P3 = 00 and nothing is refused.

usage: test-pcsc-deferred.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcsc_env import PcscHarness, enter_namespace  # noqa: E402
from harness import check, main_wrapper  # noqa: E402
from deferred_flow import (CARD0_ICCID, check_card_saw_flow, check_completed, create_tx, display_calls,  # noqa: E402
                           modem_up, pcsc_card0_modem, wait_final)


def run():
    plugin, uicc_emu, card0, server = sys.argv[1:5]
    with PcscHarness(plugin, uicc_emu) as h:
        api, path, reader = pcsc_card0_modem(h, card0, server, mode="exclusive")
        imsi, agent = modem_up(h, path, agent_path="/org/stkbridge/test/agent")
        check(imsi == "001010123456789", "IMSI read through pcscd")
        check("card in reader '%s', T=0, exclusive mode" % reader in h.ofonod_log(),
              lambda: "the plugin connected to %s (T=0, exclusive)" % reader)
        card_log = h.cards["card0"]["proc"].log_text()
        check("APDU 00 20 00 01 (5 bytes) ->" in card_log, "the empty VERIFY went through pcscd with P3 = 00")
        check("command refused" not in card_log, "no command without P3 reached the T=0 card")

        txurl = create_tx(api, CARD0_ICCID, "Pay 10 EUR?")
        h.wait_for(lambda: display_calls(agent), 30, "DisplayText at the agent")
        check(display_calls(agent)[0][1] == "Pay 10 EUR?", "agent shows the text")
        tx = wait_final(h, txurl)
        check_completed(tx)
        check_card_saw_flow(h, "card0")


if __name__ == "__main__":
    enter_namespace()
    main_wrapper(run)
