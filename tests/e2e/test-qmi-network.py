#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Network=qmi through the real ofonod, libqmi and modem-emu (doc/plugin.md):
two modems in one modem-emu, each with its own SIM and a scripted netsim
peer as its radio; the plugin's cards are uicc-emu cards on the host
(Uicc=emu).  In private namespaces (qmi_env.py).

  1. NetworkRegistration from NAS: registered, MCC/MNC and name of the
     serving network, strength from -65 dBm; the radio's HELLO is the
     modem's own SIM (its firmware's, not the plugin's);
  2. MO: MessageManager.SendMessage goes out by WMS Raw Send: the SMS-SUBMIT
     on the radio, the message "sent";
  3. MT: a plain SMS (store-and-notify in the modem: Raw Read, then Delete)
     and a class 2 one (transfer route: Send Ack) arrive as IncomingMessage,
     each acknowledged with an RP-ACK on the radio;
  4. SMS-PP data download: a class 2 TP-PID 7F secured C1 reaches the host's
     card (ENVELOPE), the RP-ACK carries nothing, the PoR comes back by
     SMS-SUBMIT to the originator with the 02 71 00 header, and the reason
     is logged once for two downloads;
  5. the radio lost: "searching", an SMS waits and goes once registered;
  6. modem 0 mute: its request runs into the bounded wait, one log line,
     netreg not registered, while modem 1 sends on; unmuted: back, and the
     SMS that got no answer is sent again (at-least-once);
  7. modem-emu killed with -9: not registered; an SMS waits; modem-emu back:
     registered again, the SMS goes out.

usage: test-qmi-network.py PLUGIN_SO UICC_EMU CARD0_INI OTA_CLI MODEM_EMU
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import ModemEmu, enter_namespace, modem_sim_ini  # noqa: E402

enter_namespace()

import dbus  # noqa: E402
from harness import Harness, TestAgent, check, log, main_wrapper  # noqa: E402
from netsim_fake import DELIVER_REPORT, SUBMIT, FakeNetsim, sms_deliver  # noqa: E402
from otaflow import parse_submit  # noqa: E402
from smspp_flow import TAR, ota_cli, secured  # noqa: E402

PIN = "1234"
MODEM_SIMS = [("89882390000000000900", "001010000000900", "+15550900"),
              ("89882390000000000918", "001010000000918", "+15550918")]
POR_LOG = "QMI WMS Send Ack cannot carry RP-ACK user data"


def gsm7_deliver(text, oa="15550123", dcs=0x00):
    """A plain SMS-DELIVER (TS 23.040 §9.2.2.1), GSM 7 bit text (ASCII letters only)."""
    bits, n = 0, 0
    for i, ch in enumerate(text):
        bits |= (ord(ch) & 0x7F) << (7 * i)
        n += 7
    ud = bits.to_bytes((n + 7) // 8, "little")
    d = oa + ("F" if len(oa) % 2 else "")
    bcd = bytes(int(d[i + 1], 16) << 4 | int(d[i], 16) for i in range(0, len(d), 2))
    return bytes([0x04, len(oa), 0x91]) + bcd + bytes([0x00, dcs]) + bytes.fromhex("52107011000000") + \
        bytes([len(text)]) + ud


def submit_text(tpdu):
    s = parse_submit(tpdu)
    septets = int.from_bytes(s["ud"], "little")
    udl = tpdu[len(tpdu) - len(s["ud"]) - 1]
    return s["da"], "".join(chr((septets >> (7 * k)) & 0x7F) for k in range(udl))


def qmi_proxies():
    """PIDs of qmi-proxy processes in this PID namespace."""
    out = []
    for p in os.listdir("/proc"):
        try:
            with open("/proc/%s/comm" % p) as f:
                if f.read().strip() == "qmi-proxy":
                    out.append(int(p))
        except (OSError, ValueError):
            pass
    return out


def run():
    plugin, uicc_emu, card0, ota, modem_emu = sys.argv[1:6]
    nets = [FakeNetsim(), FakeNetsim()]
    try:
        with Harness(plugin, uicc_emu) as h:
            flow(h, nets, uicc_emu, card0, ota, modem_emu)
    finally:
        for n in nets:
            n.close()


def sms_sent(h, states, path):
    return h.wait_for(lambda: [s for p, s in states() if p == path and s == "sent"], 60, "message %s sent" % path)


def flow(h, nets, uicc_emu, card0, ota, modem_emu):
    h.start_bus()
    with open(card0) as f:
        ini0 = f.read()
    socks = [h.start_card("card0", config_text=ini0),
             h.start_card("card1", config_text=ini0.replace("iccid=89882390000000000017", "iccid=89882390000000000025"))]
    emu = ModemEmu(h, modem_emu, uicc_emu, [
        {"sim": modem_sim_ini(*MODEM_SIMS[i]), "netsim": "tcp:127.0.0.1:%d" % nets[i].port} for i in range(2)])
    emu.start()
    conf = "".join("[modem%d]\nUicc=emu:unix:%s\nNetwork=qmi:%s\n" % (i, socks[i], emu.dev(i)) for i in range(2))
    h.start_ofonod(conf)
    paths = ["/modem0", "/modem1"]
    incoming = h.record_signals("org.ofono.MessageManager", "IncomingMessage")
    changed = h.record_signals("org.ofono.Message", "PropertyChanged")
    states = lambda: [(p, str(a[1])) for p, a in changed if str(a[0]) == "State"]  # noqa: E731
    pump = lambda: h.iterate(0.02)  # noqa: E731

    # ---- 1: registration from NAS --------------------------------------------------------------
    for i, path in enumerate(paths):
        h.wait_for(lambda: path in h.modems(), 30, "modem " + path)
        h.power_up(path)
        h.sim_ready(path, PIN)
        h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
        hello = nets[i].wait_connected()
        check(hello["iccid"] == MODEM_SIMS[i][0] and hello["msisdn"] == MODEM_SIMS[i][2],
              lambda: "the radio's HELLO is the modem's own SIM (%s %s)" % (hello["iccid"], hello["msisdn"]))
        h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), 30, "NetworkRegistration")
        reg = h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration"), 30, path + " registered",
                         until=lambda p: p.get("Status") == "registered" and "Strength" in p)
        check(str(reg["MobileCountryCode"]) == "001" and str(reg["MobileNetworkCode"]) == "01" and
              int(reg["Strength"]) == 77 and str(reg["Technology"]) == "lte",
              lambda: "%s: registered on 001/01, LTE, strength 77 %% (-65 dBm), from NAS: %s" %
              (path, {k: str(v) for k, v in reg.items()}))
        h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager")
    mm = [h.iface(p, "org.ofono.MessageManager") for p in paths]

    # ---- 2: MO by WMS Raw Send ----------------------------------------------------------------------
    msg = mm[0].SendMessage("+15550123", "hello qmi")
    sub = nets[0].expect(SUBMIT, 30, pump)
    da, text = submit_text(sub["tpdu"])
    check(da == "+15550123" and text == "hello qmi", lambda: "SMS-SUBMIT on the radio: to %s, %r" % (da, text))
    sms_sent(h, states, str(msg))

    # ---- 3: MT, stored and transfer route --------------------------------------------------------------
    did = nets[0].deliver(gsm7_deliver("stored one"))
    rep = nets[0].expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did)
    got = h.wait_for(lambda: [a for p, a in incoming if p == paths[0]], 30, "IncomingMessage")
    check(str(got[0][0]) == "stored one" and str(got[0][1]["Sender"]) == "+15550123",
          lambda: "IncomingMessage %r from %s" % (str(got[0][0]), got[0][1].get("Sender")))
    check(rep["rp"] == 0, "RP-ACK for it on the radio")
    h.wait_for(lambda: "(stored," in h.ofonod_log(), 10, "the plugin read it from the store")
    emu.wait_status(0, "stored_nv", 0)
    check(True, "read with Raw Read, deleted once oFono had it (store-and-notify, NV)")
    did = nets[0].deliver(gsm7_deliver("class two", dcs=0x12))
    rep = nets[0].expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did)
    got = h.wait_for(lambda: [a for p, a in incoming if p == paths[0]], 30, "second IncomingMessage",
                     until=lambda g: len(g) >= 2)
    check(str(got[1][0]) == "class two" and rep["rp"] == 0 and "(transfer route," in h.ofonod_log(),
          lambda: "class 2 by the transfer route: IncomingMessage %r, Send Ack: RP-ACK" % str(got[1][0]))

    # ---- 4: SMS-PP data download, the PoR by SMS-SUBMIT ----------------------------------------------
    h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(paths[0]), 30, "SimToolkit")
    agent = TestAgent(h.bus)
    agent.register(h, paths[0])
    for n, (txid, c) in enumerate((("00000001", 1), ("00000002", 2))):
        c1 = ota_cli(ota, "message", "c1", "--txid", txid, "--action", "display-text", "--text", "Via QMI %d" % n)
        did = nets[0].deliver(sms_deliver(secured(ota, c1, c)))
        rep = nets[0].expect(DELIVER_REPORT, 30, pump, match=lambda f: f["id"] == did)
        check(rep["rp"] == 0 and not rep["tpdu"], lambda: "RP-ACK without RP-User-Data (WMS Send Ack): %s" %
              rep["tpdu"].hex())
        sub = nets[0].expect(SUBMIT, 30, pump, match=lambda f: 0x71 in parse_submit(f["tpdu"])["udh"])
        s = parse_submit(sub["tpdu"])
        por = json.loads(ota_cli(ota, "packet", "unwrap-response", "--spi", "1619", "--kic", "15", "--kid", "15",
                                 "--kic-key", "0123456789abcdeffedcba9876543210",
                                 "--kid-key", "112233445566778899aabbccddeeff00", s["data"].hex()))
        ir = json.loads(ota_cli(ota, "message", "decode", por["data"]))
        check(s["da"] == "+15550000" and s["pid"] == 0x7F and s["dcs"] == 0xF6 and s["udh"] == {0x71: b""} and
              por["tar"] == TAR and por["status"] == "00" and ir["type"] == "IR" and ir["txid"] == txid,
              lambda: "PoR %d by SMS-SUBMIT to the originator +15550000, PID 7F, DCS F6, UDH 02 71 00: "
              "TAR %s status %s, %s" % (n + 1, por["tar"], por["status"], ir))
        check("APDU 80 c2 00 00" in h.cards["card0"]["proc"].log_text(), "the ENVELOPE reached the host's card")
        h.wait_for(lambda: len([c for c in agent.calls if c[0] == "DisplayText"]) > n, 30, "DisplayText %d" % n)
    check(h.ofonod_log().count(POR_LOG) == 1, lambda: "why the PoR goes by SMS-SUBMIT: logged once for two "
          "(%d)" % h.ofonod_log().count(POR_LOG))

    # ---- 5: the radio lost: searching, an SMS waits ----------------------------------------------------
    nets[0].accepting = False
    nets[0].drop()
    h.wait_for(lambda: h.props(paths[0], "org.ofono.NetworkRegistration").get("Status"), 30, "searching",
               until=lambda s: s == "searching")
    before = len(nets[0].submits)
    msg = mm[0].SendMessage("+15550124", "after the gap")
    h.stays(lambda: len(nets[0].submits) == before, 1.0, "no SMS-SUBMIT while the radio is down")
    nets[0].accepting = True
    h.wait_for(lambda: h.props(paths[0], "org.ofono.NetworkRegistration").get("Status"), 30, "registered again",
               until=lambda s: s == "registered")
    sub = nets[0].expect(SUBMIT, 30, pump, match=lambda f: submit_text(f["tpdu"])[1] == "after the gap")
    sms_sent(h, states, str(msg))

    # ---- 6: modem 0 mute; modem 1 goes on ----------------------------------------------------------------
    emu.control("mute " + emu.dev(0))
    msg = mm[0].SendMessage("+15550125", "unanswered")
    h.wait_for(lambda: "QMI modem %s: WMS Raw Send" % emu.dev(0) in h.ofonod_log(), 40,
               "the bounded wait of the Raw Send running out")
    h.wait_for(lambda: h.props(paths[0], "org.ofono.NetworkRegistration").get("Status"), 30,
               "modem 0 not registered while it does not answer", until=lambda s: s != "registered")
    msg1 = mm[1].SendMessage("+15550126", "modem one")
    sub = nets[1].expect(SUBMIT, 30, pump, match=lambda f: submit_text(f["tpdu"])[1] == "modem one")
    sms_sent(h, states, str(msg1))
    check(h.props(paths[1], "org.ofono.NetworkRegistration").get("Status") == "registered",
          "modem 1 registered and sending while modem 0 is mute")
    emu.control("unmute " + emu.dev(0))
    h.wait_for(lambda: h.props(paths[0], "org.ofono.NetworkRegistration").get("Status"), 60,
               "modem 0 registered again", until=lambda s: s == "registered")
    sub = nets[0].expect(SUBMIT, 30, pump, match=lambda f: submit_text(f["tpdu"])[1] == "unanswered")
    sms_sent(h, states, str(msg))
    lines = [l for l in h.ofonod_log().splitlines() if "QMI modem %s:" % emu.dev(0) in l and "reconnecting" in l]
    check(len(lines) == 1, lambda: "one log line for the mute modem's failures: %s" % lines)
    check("QMI modem %s answers again" % emu.dev(0) in h.ofonod_log(), "and one when it answers again")

    # ---- 7: modem-emu killed with -9 and started again ------------------------------------------------------
    emu.kill9()
    h.wait_for(lambda: h.props(paths[0], "org.ofono.NetworkRegistration").get("Status"), 30,
               "not registered with modem-emu gone", until=lambda s: s != "registered")
    msg = mm[0].SendMessage("+15550127", "after the restart")
    emu.start()
    for i, path in enumerate(paths):
        h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status"), 60,
                   path + " registered after modem-emu's restart", until=lambda s: s == "registered")
    sub = nets[0].expect(SUBMIT, 60, pump, match=lambda f: submit_text(f["tpdu"])[1] == "after the restart")
    sms_sent(h, states, str(msg))
    check(not qmi_proxies(), lambda: "no qmi-proxy running behind modem-emu's back: %s" % qmi_proxies())
    log("ofonod's QMI log lines: %d" % len([l for l in h.ofonod_log().splitlines() if "QMI" in l]))


if __name__ == "__main__":
    main_wrapper(run)
