#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pcscd killed (-9) and started again under a running ofonod: the plugin
notices (SCARD_E_NO_SERVICE), oFono sees the SIM removed, ofonod and the
modem stay; once pcscd is back and uicc-emu's card has reconnected to vpcd,
the plugin re-establishes its PC/SC contexts by itself and the SIM comes
back (PIN entered again: the card was reset); a whole deferred transaction
then completes.  ofonod is never restarted.  The reader is named by a
prefix (Uicc=pcsc:Virtual PCD) and the card is used in shared mode.

usage: test-pcsc-restart.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pcsc_env import PcscHarness, enter_namespace  # noqa: E402
from harness import check, main_wrapper  # noqa: E402
from deferred_flow import (CARD0_ICCID, PIN, check_completed, create_tx, display_calls,  # noqa: E402
                           modem_up, pcsc_card0_modem, wait_final)


def run():
    plugin, uicc_emu, card0, server = sys.argv[1:5]
    with PcscHarness(plugin, uicc_emu) as h:
        api, path, _ = pcsc_card0_modem(h, card0, server, reader="Virtual PCD", mode="shared")
        modem_up(h, path, agent_path="/org/stkbridge/test/agent")
        check("card in reader 'Virtual PCD 00 00', T=0, shared mode" in h.ofonod_log(),
              "prefix 'Virtual PCD' chose reader 'Virtual PCD 00 00' (shared mode)")
        sim = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731
        ofonod_pid = h.ofonod.pid

        gone = lambda: h.ofonod_log().count("pcscd not reachable")  # noqa: E731
        for round_ in (1, 2):
            h.stop_pcscd(kill9=True)
            h.wait_for(lambda: not sim().get("Present"), 30, "SIM removed when pcscd died (round %d)" % round_)
            check(h.ofonod.alive() and path in h.modems(), "pcscd killed: SIM removed, modem and ofonod stay")
            # pcscd comes back only once the plugin has seen it gone (else it may never see it go)
            h.wait_for(gone, 30, "the plugin's log: pcscd not reachable (round %d)" % round_,
                       until=lambda n: n >= round_)
            h.start_pcscd()
            h.wait_for(lambda: sim().get("Present"), 40, "SIM back after pcscd restarted (round %d)" % round_)
            check(True, lambda: "pcscd restarted: the plugin reconnected by itself (round %d)" % round_)
            h.sim_ready(path, PIN, timeout=30)
        check(h.ofonod.alive() and h.ofonod.pid == ofonod_pid, "the same ofonod all along")
        log_text = h.ofonod_log()
        check("pcscd not reachable" in log_text and "pcscd reachable again" in log_text,
              "the plugin logged pcscd going and coming back")

        h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit")
        h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status") == "registered", 30,
                   "registered again")
        from harness import TestAgent
        agent = TestAgent(h.bus, "/org/stkbridge/test/agent2")
        try:
            agent.register(h, path)
        except Exception:
            agent = None
        txurl = create_tx(api, CARD0_ICCID, "After restart?")
        tx = wait_final(h, txurl, timeout=90)
        check_completed(tx, what=" after pcscd restarted twice")
        if agent is not None:
            check(display_calls(agent) and display_calls(agent)[0][1] == "After restart?", "agent shows the text")


if __name__ == "__main__":
    enter_namespace()
    main_wrapper(run)
