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

import json
import os
import socket
import sys
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, TestAgent, check, log, main_wrapper  # noqa: E402
from otaflow import SERVER_READY  # noqa: E402

PIN = "1234"
ICCID = "89882390000000000017"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, json.loads(r.read().decode() or "null")


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
        h.start_bus()
        sock = h.start_card("card0", config_path=card0)
        netsim_sock = h.path("netsim.sock")
        port = free_port()
        api = "http://127.0.0.1:%d" % port
        srv = h.start_process("ota-test-server", [server, "--verbose", "--db", h.path("ots.db"),
                                                  "--http", "127.0.0.1:%d" % port,
                                                  "--netsim", "unix:" + netsim_sock,
                                                  "--import", h.cards["card0"]["config"]])
        h.wait_ready(srv, SERVER_READY)     # netsim socket and HTTP API both listening
        h.start_ofonod("[modem0]\nUicc=emu:unix:%s\nNetwork=netsim:unix:%s\n" % (sock, netsim_sock))
        path = h.wait_for(lambda: list(h.modems()), 30, "a modem")[0]
        h.power_up(path)
        h.sim_ready(path, PIN)
        h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
        h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), 30, "NetworkRegistration")
        h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status") == "registered", 30,
                   "registered on the netsim link")
        h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit")
        h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager")
        agent = TestAgent(h.bus)
        agent.register(h, path)
        # card0's SET UP MENU, pending since the TERMINAL PROFILE, is held for the agents' grace: let it pass
        h.wait_for(lambda: len(h.props(path, "org.ofono.SimToolkit").get("MainMenu", [])) > 0, 15,
                   "the card's main menu (SET UP MENU) at oFono")

        status, created = http("POST", api + "/v1/transactions",
                               {"iccid": ICCID, "action": "display-text", "text": "Pay 10 EUR?"})
        check(status == 201 and "id" in created, lambda: "transaction created: %s" % created)
        txurl = "%s/v1/transactions/%d" % (api, created["id"])

        h.wait_for(lambda: "DisplayText" in agent.names(), 30, "DisplayText at the agent")
        dt = [c for c in agent.calls if c[0] == "DisplayText"][0]
        check(dt[1] == "Pay 10 EUR?", lambda: "agent shows %r" % dt[1])
        check_fetched_at_once(h.ofonod_log())

        def final():
            _, tx = http("GET", txurl)
            return tx if tx.get("state") in ("completed", "failed", "expired") else None
        tx = h.wait_for(final, 60, "the transaction to end")
        log("transaction: %s" % json.dumps({k: tx.get(k) for k in ("state", "result", "why", "attempts")}))
        for ev in tx.get("timeline", []):
            log("  timeline: %s" % json.dumps(ev))
        check(tx["state"] == "completed", lambda: "transaction completed: %s (why: %s)" % (tx["state"], tx.get("why")))
        check((tx.get("result") or {}).get("general") == 0,
              "R1 delivered: DISPLAY TEXT confirmed (general result 0)")
        card_log = h.cards["card0"]["proc"].log_text()
        check("APDU 80 c2 00 00" in card_log and "APDU 80 14 00 00" in card_log,
              "ENVELOPE and TERMINAL RESPONSE reached the card")


if __name__ == "__main__":
    main_wrapper(run)
