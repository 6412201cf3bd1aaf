#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The card leaves its reader in the middle of a deferred transaction and
comes back, through real pcscd: when the applet's DISPLAY TEXT reaches the
agent, uicc-emu (the card in "Virtual PCD 00 00") is stopped, so its vpcd
link drops and pcscd reports the reader empty.  oFono must see the SIM
removed as from a real modem: SimManager.Present false, org.ofono.SimToolkit
gone (its agent released), ofonod and the modem stay; uicc-emu is started
again, the card is "inserted", the plugin connects by itself (reader
event), resets the card, sends TERMINAL PROFILE, oFono sees the SIM again
(PIN entered again), SimToolkit comes back and the agent registers again;
the applet runs its pending session again (its command, pending when
SimToolkit came back, is held until agents had time to register), the
agent confirms, and R1 is
delivered to the server after the next C2: the transaction completes with
general result 00.

usage: test-pcsc-reinsert.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from pcsc_env import PcscHarness, enter_namespace  # noqa: E402
from harness import TestAgent, check, log, main_wrapper  # noqa: E402
from deferred_flow import (CARD0_ICCID, PIN, check_completed, create_tx, display_calls,  # noqa: E402
                           modem_up, pcsc_card0_modem, wait_final)


class RemovingAgent(TestAgent):
    """Pulls the card out of the reader while the first DisplayText is on screen."""

    def __init__(self, bus, path, h):
        super().__init__(bus, path)
        self.h = h
        self.removed = False

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="syb", out_signature="")
    def DisplayText(self, text, icon, urgent):
        self._record("DisplayText", str(text), int(icon), bool(urgent))
        if not self.removed:
            self.removed = True
            log("agent: card removed while DisplayText is pending")
            self.h.stop_card("card0")


def run():
    plugin, uicc_emu, card0, server = sys.argv[1:5]
    with PcscHarness(plugin, uicc_emu) as h:
        api, path, _ = pcsc_card0_modem(h, card0, server)
        modem_up(h, path)
        agent = RemovingAgent(h.bus, "/org/stkbridge/test/agent", h)
        agent.register(h, path)
        sim = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731

        txurl = create_tx(api, CARD0_ICCID, "Pay 20 EUR?")
        h.wait_for(lambda: agent.removed, 30, "DisplayText at the agent (card then removed)")
        h.wait_for(lambda: not sim().get("Present"), 30, "SIM removed in oFono")
        check(True, "oFono sees the SIM removed when the card leaves the reader")
        lost = h.wait_for(lambda: [l for l in h.ofonod_log().splitlines() if "modem0: card lost" in l], 30,
                          "the plugin's log of the lost card")
        check("card removed" in lost[0] or "Card was removed" in lost[0],
              lambda: "the plugin logged the removal: %s" % lost[0])
        check(path in h.modems() and h.ofonod.alive(), "the modem stays, ofonod runs")
        h.wait_for(lambda: "org.ofono.SimToolkit" not in h.interfaces(path), 30, "SimToolkit gone")
        check("org.ofono.SimManager" in h.interfaces(path), "SimToolkit gone with the SIM, SimManager stays")
        h.wait_for(lambda: "Release" in agent.names(), 30, "the agent released")
        check(True, "the SimToolkit agent was released with the atom")

        mark = len(h.ofonod_log())
        h.restart_vpcd_card("card0")
        h.wait_for(lambda: sim().get("Present"), 30, "SIM back in oFono")
        check(True, "oFono sees the SIM again after the card is back in the reader")
        h.sim_ready(path, PIN, timeout=30)
        h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit back")
        check(True, "SimToolkit back once the SIM is ready again")
        agent.register(h, path)
        check(True, "the agent registered again with the new SimToolkit")
        h.wait_for(lambda: len(display_calls(agent)) >= 2, 60, "the applet's DisplayText again")
        check(True, "the pending session ran again after TERMINAL PROFILE")
        held = [l for l in h.ofonod_log()[mark:].splitlines() if "proactive command held until agents" in l]
        check(held, lambda: "the command pending when SimToolkit came back waited for agents to register: %s" %
              (held[0].strip() if held else None))
        tx = wait_final(h, txurl, timeout=150)
        check_completed(tx, what=" after the card came back (next C2)")
        check(h.ofonod.alive(), "ofonod still running")


if __name__ == "__main__":
    enter_namespace()
    main_wrapper(run)
