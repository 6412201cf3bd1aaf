# SPDX-License-Identifier: GPL-2.0-or-later
"""Pieces of the deferred flow (doc/architecture.md) shared by test-deferred-server.py
and the pcsc and robustness e2e tests: ota-test-server on a free port with the
cards imported, a modem brought up to "registered" with an agent, a
transaction started and waited for through the HTTP API, and the checks of
its outcome."""

import json
import socket
import urllib.request

import dbus
from harness import HarnessError, TestAgent, check, log, shown
from otaflow import SERVER_READY

PIN = "1234"
CARD0_ICCID = "89882390000000000017"


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


def card_config(card0_path, iccid=None, imsi=None):
    """card0.ini's text, with another ICCID / IMSI for a second card."""
    with open(card0_path) as f:
        text = f.read()
    if iccid:
        text = text.replace("iccid=" + CARD0_ICCID, "iccid=" + iccid)
    if imsi:
        text = text.replace("imsi=001010123456789", "imsi=" + imsi)
    return text


def start_server(h, server, card_names, extra=()):
    """ota-test-server with netsim on a unix socket and the cards imported; returns (api, netsim_sock)."""
    netsim_sock = h.path("netsim.sock")
    port = free_port()
    argv = [server, "--verbose", "--db", h.path("ots.db"), "--http", "127.0.0.1:%d" % port,
            "--netsim", "unix:" + netsim_sock] + list(extra)
    for name in card_names:
        argv += ["--import", h.cards[name]["config"]]
    srv = h.start_process("ota-test-server", argv)
    h.wait_ready(srv, SERVER_READY)     # netsim socket and HTTP API both listening
    return "http://127.0.0.1:%d" % port, netsim_sock


def modem_up(h, path, pin=PIN, agent_path=None, timeout=30):
    """Powered, PIN entered, online, registered, SimToolkit and MessageManager there; agent registered."""
    h.power_up(path, timeout=timeout)
    imsi = h.sim_ready(path, pin, timeout=timeout)
    h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
    h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), timeout, "NetworkRegistration")
    h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status") == "registered", timeout,
               path + " registered on the netsim link")
    h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), timeout, "SimToolkit")
    h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), timeout, "MessageManager")
    agent = None
    if agent_path is not None:
        agent = TestAgent(h.bus, agent_path)
        agent.register(h, path)
    return imsi, agent


def card0_modem(h, card0, server):
    """card0 in uicc-emu, ota-test-server with it imported, ofonod with one modem on both, brought up to
    registered: returns (api, modem path)."""
    h.start_bus()
    sock = h.start_card("card0", config_path=card0)
    api, netsim = start_server(h, server, ["card0"])
    h.start_ofonod("[modem0]\nUicc=emu:unix:%s\nNetwork=netsim:unix:%s\n" % (sock, netsim))
    path = modem_for(h, "modem0")
    modem_up(h, path)
    return api, path


def pcsc_card0_modem(h, card0, server, reader=None, mode=None):
    """A PcscHarness's pcscd with card0 in vpcd reader 0, ota-test-server with it imported, ofonod with
    modem0 on Uicc=pcsc:READER (default: that reader's name; UiccMode=MODE when given) and netsim:
    returns (api, modem path, the reader's name)."""
    h.start_bus()
    h.start_pcscd()
    name = h.start_vpcd_card("card0", card0, slot=0)
    api, netsim = start_server(h, server, ["card0"])
    h.start_ofonod("[modem0]\nUicc=pcsc:%s\n%sNetwork=netsim:unix:%s\n" %
                   (reader or name, "UiccMode=%s\n" % mode if mode else "", netsim))
    return api, modem_for(h, "modem0"), name


def create_tx(api, iccid, text, action="display-text"):
    status, created = http("POST", api + "/v1/transactions", {"iccid": iccid, "action": action, "text": text})
    check(status == 201 and "id" in created, lambda: "transaction created for %s: %s" % (iccid, created))
    return "%s/v1/transactions/%d" % (api, created["id"])


def tx_get(txurl):
    return http("GET", txurl)[1]


def wait_final(h, txurl, timeout=60):
    def final():
        tx = tx_get(txurl)
        return tx if tx.get("state") in ("completed", "failed", "expired") else None
    tx = h.wait_for(final, timeout, "the transaction %s to end" % txurl)
    log("transaction: %s" % json.dumps({k: tx.get(k) for k in ("state", "result", "why", "attempts")}))
    for ev in tx.get("timeline", []):
        log("  timeline: %s" % json.dumps(ev))
    return tx


def check_completed(tx, general=0, what=""):
    check(tx.get("state") == "completed", lambda: "transaction completed%s: %s (why: %s)" % (what, tx.get("state"),
                                                                                            tx.get("why")))
    got = (tx.get("result") or {}).get("general")
    check(got == general, lambda: "R1 delivered%s: general result %s (want %02X)" % (what, shown(got), general))


def check_card_saw_flow(h, name):
    card_log = h.cards[name]["proc"].log_text()
    check("APDU 80 c2 00 00" in card_log and "APDU 80 14 00 00" in card_log,
          lambda: "ENVELOPE and TERMINAL RESPONSE reached card %s" % name)


def modem_for(h, name, timeout=30):
    path = "/" + name
    h.wait_for(lambda: path in h.modems(), timeout, "modem " + path)
    return path


def display_calls(agent):
    return [c for c in agent.calls if c[0] == "DisplayText"]


__all__ = ["PIN", "CARD0_ICCID", "http", "card_config", "start_server", "modem_up", "card0_modem",
           "pcsc_card0_modem", "create_tx",
           "tx_get",
           "wait_final", "check_completed", "check_card_saw_flow", "modem_for", "display_calls",
           "HarnessError"]
