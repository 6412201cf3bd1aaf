#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Through the real ofonod: the links of the stkbridge modem survive faults.

  1. network link dropped while an SMS-SUBMIT waits for its report: the
     device reconnects (HELLO again), NetworkRegistration goes back to
     "registered", the submit is sent again and, once reported, the oFono
     message is "sent" (queued submits are not lost);
  2. a submit made while the link is down goes out after the reconnection;
  3. uicc-emu stopped and started again: the SIM is reported removed and,
     as with a real modem's SIM removal, the atoms that need the card go:
     org.ofono.SimToolkit (its agent is released) and MessageManager, the
     modem stays; once the plugin has reconnected, reset the card and sent
     TERMINAL PROFILE, the SIM is present again, PIN and IMSI come back,
     SimToolkit comes back, the agent registers again and a whole
     transaction runs (C1 by SMS-PP, DISPLAY TEXT, MG, C2 → R2S done).

usage: test-resilience.py PLUGIN_SO UICC_EMU CARD0_INI OTA_CLI
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, TestAgent, check, log, main_wrapper, sw_accepted  # noqa: E402
from netsim_fake import SUBMIT, FakeNetsim  # noqa: E402
from smspp_flow import display_text_transaction  # noqa: E402

PIN = "1234"
IMSI = "001010123456789"


def message_state(changes, mpath):
    """The last State a message announced (oFono removes the object once it is sent)."""
    states = [str(a[1]) for p, a in changes if p == str(mpath) and str(a[0]) == "State"]
    return states[-1] if states else None


def run():
    plugin, uicc_emu, card0, ota = sys.argv[1:5]
    net = FakeNetsim()
    net.auto_submit_report = False
    try:
        with Harness(plugin, uicc_emu) as h:
            h.start_bus()
            sock = h.start_card("card0", config_path=card0)
            path = h.start_emu_modem(sock, "netsim:tcp:127.0.0.1:%d" % net.port)
            h.power_up(path)
            check(h.sim_ready(path, PIN) == IMSI, "SIM ready")
            h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
            net.wait_connected()
            h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager")
            h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), 30, "NetworkRegistration")
            reg = lambda: str(h.props(path, "org.ofono.NetworkRegistration").get("Status"))  # noqa: E731
            h.wait_for(reg, 30, "registered", until=lambda st: st == "registered")
            pump = lambda: h.iterate(0.02)  # noqa: E731

            # ---- 1: link dropped while a submit waits for its report ----------------------
            mm = h.iface(path, "org.ofono.MessageManager")
            changes = h.record_signals("org.ofono.Message", "PropertyChanged")
            m1 = mm.SendMessage("+15550123", "first", timeout=30)
            s1 = net.expect(SUBMIT, 30, pump)
            log("submit %d: %s" % (s1["id"], s1["tpdu"].hex()))
            net.drop()
            h.wait_for(reg, 30, "not registered while the link is down", until=lambda st: st != "registered")
            log("status while down: %s" % reg())
            s1b = net.expect(SUBMIT, 30, pump)
            check(s1b["tpdu"] == s1["tpdu"] and s1b["id"] == s1["id"], "the unreported submit is sent again")
            check(net.connections == 2 and len(net.hellos) == 2, "the device reconnected and said HELLO again")
            h.wait_for(reg, 30, "registered again", until=lambda st: st == "registered")
            check(True, "NetworkRegistration back to registered")
            h.stays(lambda: message_state(changes, m1) != "sent", 0.5, "message 1 not sent before its report")
            net.report_submit(s1b["id"])
            h.wait_for(lambda: message_state(changes, m1), 30, "message 1 sent", until=lambda st: st == "sent")
            check(True, "message 1 sent after the reconnection")

            # ---- 2: a submit while the link is down ------------------------------------------
            net.accepting = False
            net.drop()
            h.wait_for(reg, 30, "link down again", until=lambda st: st != "registered")
            submits = len(net.submits)
            m2 = mm.SendMessage("+15550124", "second", timeout=30)
            h.wait_for(lambda: net.refused, 30, "the device retrying", until=lambda n: n >= 2)
            h.stays(lambda: len(net.submits) == submits and message_state(changes, m2) != "sent", 0.3,
                    "nothing sent while the server refuses the link (%d attempts refused)" % net.refused)
            while not net.frames.empty():
                net.frames.get()
            net.accepting = True
            s2 = net.expect(SUBMIT, 30, pump)
            net.report_submit(s2["id"])
            h.wait_for(lambda: message_state(changes, m2), 30, "message 2 sent", until=lambda st: st == "sent")
            check(net.connections == 3, "submitted while down, sent after reconnecting")

            # ---- 3: the card daemon restarted ------------------------------------------------------
            h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit")
            agent = TestAgent(h.bus)
            agent.register(h, path)
            h.stop_card("card0")
            h.wait_for(lambda: not h.props(path, "org.ofono.SimManager").get("Present"), 30, "SIM removed")
            check(True, "SIM reported removed when uicc-emu went away")
            ifaces = h.wait_for(lambda: h.interfaces(path), 30, "SimToolkit and MessageManager gone with the SIM",
                                until=lambda i: "org.ofono.SimToolkit" not in i and "org.ofono.MessageManager" not in i)
            check(True, lambda: "SimToolkit and MessageManager gone with the SIM (%s)" % ifaces)
            check("org.ofono.SimManager" in ifaces and path in h.modems(), "the modem and its SimManager stay")
            h.wait_for(lambda: "Release" in agent.names(), 30, "the agent released")
            check(True, "the SimToolkit agent was released with the atom")
            h.restart_card("card0")
            h.wait_for(lambda: h.props(path, "org.ofono.SimManager").get("Present"), 30, "SIM back")
            check(h.sim_ready(path, PIN) == IMSI, "SIM present and ready again after uicc-emu restarted")
            h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit back")
            h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager back")
            check(True, "SimToolkit and MessageManager back once the SIM is ready")
            # the card's log holds both runs (uicc-emu's log file is appended to)
            tp = h.wait_for(lambda: [l for l in h.cards["card0"]["proc"].log_text().splitlines()
                                     if "APDU 80 10 00 00" in l], 30, "a TERMINAL PROFILE in each card run",
                            until=lambda lines: len(lines) >= 2)
            check(len(tp) == 2 and all(sw_accepted(l) for l in tp),
                  lambda: "each card run got its TERMINAL PROFILE (uicc-emu's log of both runs: %d)" % len(tp))
            agent.register(h, path)
            check(True, "the agent registered again with the new SimToolkit")
            h.wait_for(reg, 30, "registered after the SIM came back", until=lambda st: st == "registered")
            net.auto_submit_report = True
            display_text_transaction(h, net, ota, agent, "00000001", 1, "Pay 30 EUR?")
            check(True, "a transaction completes through the card after it came back")
    finally:
        net.close()


if __name__ == "__main__":
    main_wrapper(run)
