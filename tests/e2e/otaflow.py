# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole stack of the deferred flow (doc/architecture.md) for end-to-end tests, on top of harness.py:

  SV1/SV2 = ota-test-server (HTTP API, netsim link)  <-NetsimTap->  ofonod + stkbridge
  plugin  <-ApduTap->  uicc-emu (one per card)  ...  stkbridge-agent (scripted, JSON log)

or, with start(smsc=...), the server's SMPP link to the test SMSC (smsc.py), which
plays the netsim server for the plugin:

  ota-test-server --SMPP--> test SMSC (node-smpp) <-NetsimTap-> ofonod + stkbridge ...

and the checks of every hop of a transaction:

  - check_link(): the secured bytes on the netsim link, for every command in
    the transaction's timeline (C1, C2, release: SMS-DELIVER PID 7F, UDH 70,
    unwrapped with the card's keys: TAR, counter, SPI, the message inside),
    every PoR (in the DELIVER-REPORT or in an SMS-SUBMIT: unwrapped, status,
    counter, IR / R2S inside, equal to what the API recorded) and the MG
    (plain SMS-SUBMIT to the SV1 address);
  - terminal_responses(): the TERMINAL RESPONSEs that reached the card
    (command details, result, text or item), with the SW the card answered;
  - Agent: the agent's JSON log (text shown, answer given);
  - counters(): keyset counters in the card's state file and in the server.

usage in a test:  with Harness(...) as h: s = Stack(h, bins); s.start(cards=...); ...
"""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request

import dbus
from harness import Harness, HarnessError, check, log
from taps import (DELIVER, DELIVER_REPORT, FROM_DEVICE, SUBMIT, TO_DEVICE, ApduTap, NetsimTap)

PIN = "1234"
SV2_ADDRESS = "15550199"       # ota-test-server's default TP-OA (--address)
SV1_ADDRESS = "15550100"       # where MGs go (--sv1-address)
SERVER_READY = "ota-test-server ready"   # logged once the netsim socket and the HTTP API listen

KEYSET1 = {"kic": "15", "kid": "15", "kic-key": "0123456789abcdeffedcba9876543210",
           "kid-key": "112233445566778899aabbccddeeff00"}

CARD_HEAD = """[card]
iccid={iccid}
imsi={imsi}
msisdn={msisdn}
pin=1234
smsc=+15550000
spn=stkbridge

[keyset 1]
kic=15
kid=15
kic-key=0123456789abcdeffedcba9876543210
kid-key=112233445566778899aabbccddeeff00
"""


def card_ini(iccid, imsi, msisdn, tars):
    """A card config (doc/card-config.md) with keyset 1 of card0.ini and these TARs:
    tars = {"defe01": {"ir": "fixed:30", "mg-address": "+15550100", "spi": "1619", ...}}."""
    text = CARD_HEAD.format(iccid=iccid, imsi=imsi, msisdn=msisdn)
    for tar, keys in tars.items():
        text += "\n[tar %s]\napplet=deferred\nkeysets=1\nmin-security-level=16\n" % tar
        keys = dict(keys)
        keys.setdefault("spi", "1619")
        for k, v in keys.items():
            text += "%s=%s\n" % (k, v)
    return text


def rfm_tar(tar, rfm_df):
    """A [tar] of the RFM applet (doc/rfm.md) on keyset 1, holding ADM1, MSL 16."""
    return ("\n[tar %s]\napplet=rfm\nrfm-df=%s\naccess=adm1\nkeysets=1\nmin-security-level=16\n" %
            (tar, rfm_df))


# ---- bytes ---------------------------------------------------------------------------

def parse_address(b, i, semi_octet_len=True):
    """TS 23.040 §9.1.2.5 address at b[i]: (digits with '+' if international, TOA, next index)."""
    n = b[i]
    toa = b[i + 1]
    nbytes = (n + 1) // 2 if semi_octet_len else n - 1
    digits = ""
    for x in b[i + 2:i + 2 + nbytes]:
        digits += "%x%x" % (x & 0x0F, x >> 4)
    digits = digits[:n] if semi_octet_len else digits.rstrip("f")
    if toa & 0x70 == 0x10:
        digits = "+" + digits
    return digits, toa, i + 2 + nbytes


def split_ud(ud, udhi):
    """(UDH information elements {iei: data}, data after the UDH)."""
    if not udhi:
        return {}, ud
    udhl = ud[0]
    ies, j = {}, 1
    while j < 1 + udhl:
        ies[ud[j]] = ud[j + 2:j + 2 + ud[j + 1]]
        j += 2 + ud[j + 1]
    return ies, ud[1 + udhl:]


def parse_deliver(t):
    """SMS-DELIVER (TS 23.040 §9.2.2.1), 8-bit data."""
    oa, _, i = parse_address(t, 1)
    pid, dcs = t[i], t[i + 1]
    udl = t[i + 9]
    ud = t[i + 10:i + 10 + udl]
    ies, data = split_ud(ud, t[0] & 0x40)
    return {"mti": t[0] & 3, "oa": oa, "pid": pid, "dcs": dcs, "udh": ies, "ud": ud, "data": data}


def parse_submit(t):
    """SMS-SUBMIT (TS 23.040 §9.2.2.2), 8-bit data."""
    da, _, i = parse_address(t, 2)
    pid, dcs = t[i], t[i + 1]
    vpf = (t[0] >> 3) & 3
    i += 2 + {0: 0, 2: 1}.get(vpf, 7)
    udl = t[i]
    ud = t[i + 1:i + 1 + udl]
    ies, data = split_ud(ud, t[0] & 0x40)
    return {"mti": t[0] & 3, "da": da, "pid": pid, "dcs": dcs, "udh": ies, "ud": ud, "data": data}


def parse_deliver_report(t, rp_error=False):
    """SMS-DELIVER-REPORT for RP-ACK / RP-ERROR (TS 23.040 §9.2.2.1a)."""
    if not t:
        return {"mti": None, "pi": 0, "ud": b"", "data": b"", "udh": {}}
    i = 1
    r = {"mti": t[0] & 3}
    if rp_error:
        r["fcs"] = t[1]
        i = 2
    pi = t[i]
    i += 1
    r["pi"] = pi
    if pi & 1:
        r["pid"] = t[i]
        i += 1
    if pi & 2:
        r["dcs"] = t[i]
        i += 1
    r["ud"] = b""
    if pi & 4:
        r["ud"] = t[i + 1:i + 1 + t[i]]
    r["udhi"] = bool(t[0] & 0x40)
    # The card's response data starts with the response packet's UDH 02 71 00; the plugin
    # (lib/ts31111_data_download.c) sets TP-UDHI for it, an Android ME does not: read a UDH
    # there either way (doc/wire-formats.md, "TP-UDHI of the DELIVER-REPORT").
    r["udh"], r["data"] = split_ud(r["ud"], r["udhi"] or r["ud"][:3] == b"\x02\x71\x00")
    return r


def ctlvs(data):
    """COMPREHENSION-TLVs (TS 102 223 §8) as [(tag without CR bit, value)]."""
    out, i = [], 0
    while i < len(data):
        tag = data[i] & 0x7F
        i += 1
        n = data[i]
        i += 1
        if n == 0x81:
            n = data[i]
            i += 1
        out.append((tag, data[i:i + n]))
        i += n
    return out


# TS 23.038 §6.2.1 default alphabet and (after ESC 1B) its extension table
GSM7 = ("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
        "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXT = {0x0A: "\f", 0x14: "^", 0x28: "{", 0x29: "}", 0x2F: "\\", 0x3C: "[", 0x3D: "~", 0x3E: "]",
            0x40: "|", 0x65: "€"}


def gsm7_decode(septets):
    out, esc = "", False
    for c in septets:
        if esc:
            out += GSM7_EXT.get(c, " ")
            esc = False
        elif c == 0x1B:
            esc = True
        else:
            out += GSM7[c]
    return out


def text_string(v):
    """CAT text string (TS 102 223 §8.15): DCS byte (TS 23.038) then the text."""
    if not v:
        return ""
    dcs, body = v[0], v[1:]
    if dcs & 0x0C == 0x08:
        return body.decode("utf-16-be")
    if dcs & 0x0C == 0x04:
        return gsm7_decode(body)            # default alphabet, one septet an octet
    bits = int.from_bytes(body, "little")
    return gsm7_decode([(bits >> (7 * k)) & 0x7F for k in range(len(body) * 8 // 7)])


# ---- the processes -------------------------------------------------------------------

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Api:
    """ota-test-server's HTTP API (ota-test-server/api/)."""

    def __init__(self, base):
        self.base = base

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read().decode() or "null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read().decode() or "null")

    def start(self, **req):
        """POST /v1/transactions; returns the new transaction's id."""
        status, body = self.call("POST", "/v1/transactions", req)
        if status != 201:
            raise AssertionError("POST /v1/transactions %s: %s %s" % (req, status, body))
        return body["id"]

    def tx(self, tx_id):
        status, body = self.call("GET", "/v1/transactions/%d" % tx_id)
        if status != 200:
            raise AssertionError("GET transaction %d: %s %s" % (tx_id, status, body))
        return body

    def poll(self, tx_id):
        return self.call("POST", "/v1/transactions/%d/poll" % tx_id)

    def card(self, iccid):
        status, body = self.call("GET", "/v1/cards/%s" % iccid)
        if status != 200:
            raise AssertionError("GET card %s: %s %s" % (iccid, status, body))
        return body


class Agent:
    """stkbridge-agent in scripted mode on one modem, with its JSON log."""

    def __init__(self, h, exe, name, modem, answers, extra=()):
        self.h = h
        self.name = name
        self.answers = h.path(name + ".answers")
        self.json_log = h.path(name + ".jsonl")
        with open(self.answers, "w") as f:
            f.write("\n".join(answers) + "\n")
        self.proc = h.start_process(name, [exe, "--modem", modem, "--answers", self.answers,
                                           "--json-log", self.json_log] + list(extra))

    def lines(self):
        """The JSON log's complete lines (a line still being written is left for later)."""
        try:
            with open(self.json_log) as f:
                return [json.loads(x) for x in f if x.endswith("\n") and x.strip()]
        except FileNotFoundError:
            return []

    def events(self, method):
        return [x for x in self.lines() if x.get("method") == method]

    def requests(self):
        """The interactions oFono asked for (not the agent's own events)."""
        return [x for x in self.lines() if "outcome" in x]

    def registrations(self):
        """Successful RegisterAgent calls in the JSON log."""
        return [x for x in self.events("RegisterAgent") if x.get("error") is None]

    def wait_registered(self, count=1, timeout=30):
        self.h.wait_for(self.registrations, timeout, "%s registered with oFono (%d)" % (self.name, count),
                        until=lambda r: len(r) >= count)

    def wait_requests(self, n, timeout=60):
        """The first n requests the agent handled (at least n in its JSON log)."""
        return self.h.wait_for(self.requests, timeout, "%d request(s) answered by %s" % (n, self.name),
                               until=lambda r: len(r) >= n)


class Stack:
    """Starts and drives dbus-daemon, uicc-emu cards, ota-test-server, ofonod, agents."""

    def __init__(self, h, plugin_dir_bins):
        self.h = h
        self.bins = plugin_dir_bins          # dict: uicc_emu, server, agent, ota_cli
        self.api = None
        self.netsim = None
        self.apdu = {}                       # card name -> ApduTap
        self.cards = {}                      # card name -> {"iccid", "ini", "path" (modem)}
        self.server = None
        self.network = "netsim"
        self.uicc = "emu"
        self.modem_emu = None
        self.smsc = None                     # smsc.Smsc when the server reaches cards over SMPP

    # -- start -------------------------------------------------------------------------

    def start(self, cards, server_args=(), taps=True, verbose=True, db=None, smsc=None, smpp=None,
              network="netsim", uicc="emu", modem_conf=""):
        """cards: {name: ini text}.  Starts everything up to ofonod (modems not powered).
        verbose=False: no debug logs (uicc-emu -v, server --verbose, ofonod -d), for benchmarks;
        db: the server's database path (default: in the temp dir);
        smsc: an smsc.Smsc: the server binds to it over SMPP (no netsim link of its own) and the
        plugin's netsim backend talks to the SMSC; smpp: more [smpp] keys for the server.
        network "qmi" (inside qmi_env.enter_namespace(); bins["modem_emu"]): each card's modem is
        a modem-emu modem with a SIM of its own carrying the card's MSISDN (registered at the
        server too), its radio the netsim link; the plugin has Network=qmi:DEV.
        uicc "qmi" (with network "qmi"): the card is the modem's own SIM (modem-emu reaches the
        uicc-emu card, through its ApduTap, as firmware does); the plugin has Uicc=qmi:DEV.
        modem_conf: more lines for each modem's group of the plugin's config (UiccTimeout=2)."""
        h = self.h
        h.start_bus()
        conf = ""
        self.network = network
        self.uicc = uicc
        for name, ini in cards.items():
            sock = h.start_card(name, config_text=ini, verbose=verbose)
            iccid = ini_value(ini, "iccid")
            self.cards[name] = {"iccid": iccid, "ini": ini, "path": "/" + name, "link_iccid": iccid}
            if taps:
                self.apdu[name] = ApduTap(h.path(name + "-tap.sock"), sock)
                sock = self.apdu[name].listen_path
            self.cards[name]["uicc"] = sock
        self.smsc = smsc
        self.netsim_sock = smsc.netsim if smsc else h.path("netsim.sock")
        link = self.netsim_sock
        if taps:
            self.netsim = NetsimTap(h.path("netsim-tap.sock"), self.netsim_sock)
            link = self.netsim.listen_path
        self.link = link
        if network == "qmi":
            self.modem_emu = self._modem_emu(link)
        self.port = free_port()
        argv = [self.bins["server"]] + (["--verbose"] if verbose else []) + [
            "--db", db or h.path("ots.db"), "--http", "127.0.0.1:%d" % self.port]
        if smsc:
            from smsc import smpp_config  # noqa: E402
            argv += ["--smpp", "127.0.0.1:%d" % smsc.port, "--smpp-config",
                     smpp_config(h.path("smpp.ini"), **(smpp or {}))]
        else:
            argv += ["--netsim", "unix:" + self.netsim_sock]
        for name in cards:
            argv += ["--import", h.cards[name]["config"]]
        if network == "qmi":
            argv += [a for m in self.modem_emu.modems if m["ini"] for a in ("--import", m["ini"])]
        self.server = h.start_process("ota-test-server", argv + list(server_args))
        h.wait_ready(self.server, SERVER_READY)     # its links and HTTP API listening
        self.api = Api("http://127.0.0.1:%d" % self.port)
        if smsc:
            from smsc import wait_bound  # noqa: E402
            wait_bound(h, self.api)
        for i, (name, c) in enumerate(self.cards.items()):
            net = "qmi:" + self.modem_emu.dev(i) if network == "qmi" else "netsim:unix:" + link
            card = "qmi:" + self.modem_emu.dev(i) if uicc == "qmi" else "emu:unix:" + c["uicc"]
            conf += "[%s]\nUicc=%s\nNetwork=%s\n%s" % (name, card, net, modem_conf)
        if network == "qmi":
            self.modem_emu.start()
        self.ofonod_conf = conf
        self.verbose = verbose
        h.start_ofonod(conf, debug=verbose)
        return self

    def _modem_emu(self, link):
        """One modem-emu modem per card: its own SIM with the card's MSISDN, the radio on link."""
        from qmi_env import ModemEmu, modem_sim_ini
        modems = []
        for c in self.cards.values():
            if self.uicc == "qmi":
                # the card is the modem's SIM: modem-emu drives it through the tap, as firmware does
                modems.append({"sim_sock": c["uicc"], "netsim": "unix:" + link})
                continue
            sim_iccid = c["iccid"][:8] + "99" + c["iccid"][10:]
            c["link_iccid"] = sim_iccid          # the radio's HELLO is the modem's own SIM
            modems.append({"sim": modem_sim_ini(sim_iccid, "00101990" + c["iccid"][-7:],
                                                ini_value(c["ini"], "msisdn")), "netsim": "unix:" + link})
        return ModemEmu(self.h, self.bins["modem_emu"], self.bins["uicc_emu"], modems)

    def kill_ofonod(self):
        """kill -9; waits then no longer watch a dead ofonod (harness.wait_for would fail)."""
        self.h.stop_ofonod(kill9=True)
        self.h.ofonod = None

    def restart_ofonod(self):
        self.h.start_ofonod(self.ofonod_conf, debug=self.verbose)

    def bring_up(self, name, timeout=30):
        """Powered, PIN entered, online, registered on the netsim link, SimToolkit there."""
        h = self.h
        path = self.cards[name]["path"]
        h.wait_for(lambda: path in h.modems(), timeout, "modem " + path)
        h.power_up(path)
        h.sim_ready(path, PIN, timeout)
        h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
        h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), timeout, "NetworkRegistration")
        h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status") == "registered",
                   timeout, path + " registered on the netsim link")
        h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), timeout, "SimToolkit on " + path)
        h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), timeout, "MessageManager")
        return path

    def registration(self, card):
        """NetworkRegistration.Status of the card's modem."""
        return self.h.props(self.cards[card]["path"], "org.ofono.NetworkRegistration").get("Status")

    def agent(self, name, card, answers, extra=()):
        return Agent(self.h, self.bins["agent"], name, self.cards[card]["path"], answers, extra)

    def stop(self):
        if self.netsim:
            self.netsim.close()
        for t in self.apdu.values():
            t.close()

    # -- transactions ------------------------------------------------------------------

    def start_tx(self, card, **req):
        req["iccid"] = self.cards[card]["iccid"]
        tx_id = self.api.start(**req)
        log("transaction %d on %s: %s" % (tx_id, card, json.dumps(req)))
        return tx_id

    def wait_state(self, tx_id, states, timeout=60):
        """The transaction once its state is one of states (the last one read on timeout)."""
        states = (states,) if isinstance(states, str) else states
        return self.h.wait_for(lambda: self.api.tx(tx_id), timeout, "transaction %d %s" % (tx_id, "/".join(states)),
                               until=lambda t: t.get("state") in states)

    def wait_final(self, tx_id, timeout=60):
        tx = self.wait_state(tx_id, ("completed", "failed", "expired"), timeout)
        log("transaction %d: %s %s why=%s" % (tx_id, tx["state"], json.dumps(tx.get("result")), tx.get("why")))
        for ev in tx["timeline"]:
            detail = {k: v for k, v in ev.items() if k not in ("seq", "tx", "iccid", "at", "event")}
            log("  %s %-14s %s" % (ev["at"][11:23], ev["event"], json.dumps(detail) if detail else ""))
        return tx

    def wait_event(self, tx_id, kind, timeout=60, count=1):
        """The count-th event of this kind in the transaction's timeline."""
        return self.h.wait_for(lambda: events(self.api.tx(tx_id), kind), timeout,
                               "event %s (#%d) of transaction %d" % (kind, count, tx_id),
                               until=lambda evs: len(evs) >= count)[count - 1]

    # -- hops ----------------------------------------------------------------------------

    def ota_cli(self, *args):
        return subprocess.run([self.bins["ota_cli"]] + list(args), check=True, capture_output=True,
                              text=True).stdout.strip()

    def decode(self, hexdata):
        return json.loads(self.ota_cli("message", "decode", hexdata))

    def unwrap_command(self, packet):
        return json.loads(self.ota_cli("packet", "unwrap-command", "--kic-key", KEYSET1["kic-key"],
                                       "--kid-key", KEYSET1["kid-key"], packet.hex()))

    def unwrap_response(self, spi, packet):
        return json.loads(self.ota_cli("packet", "unwrap-response", "--spi", spi, "--kic", KEYSET1["kic"],
                                       "--kid", KEYSET1["kid"], "--kic-key", KEYSET1["kic-key"],
                                       "--kid-key", KEYSET1["kid-key"], packet.hex()))

    def via(self, route):
        """What por-received says for a PoR that took route ("deliver-report", "sms-submit") on
        this stack: over SMPP both come as a deliver_sm."""
        return "deliver-sm" if self.smsc else route

    def command_cntr(self, frame):
        """The counter of the secured command packet in a DELIVER frame, or None."""
        sms = parse_deliver(frame["tpdu"])
        if sms["udh"].get(0x70) != b"":
            return None
        return self.unwrap_command(sms["data"])["cntr"]

    def commands_on_link(self, card, tx, absent=()):
        """[(kind, DELIVER frame)] of the commands in tx's timeline that reached the card: by
        SMS id on the server's netsim link; over SMPP (the SMSC numbers its DELIVERs) by the
        counter inside the packet."""
        frames = self.netsim.of(self.cards[card]["link_iccid"])
        downs_all = [f for f in frames if f["type"] == DELIVER and f["dir"] == TO_DEVICE]
        out = []
        for e in [e for e in tx["timeline"] if e["event"] in ("c1-sent", "c2-sent", "release-sent")]:
            if e["msg-id"] in absent:
                continue
            if self.smsc:
                downs = [f for f in downs_all if self.command_cntr(f) == e["cntr"]]
            else:
                downs = [f for f in downs_all if f["id"] == e["msg-id"]]
            out.append((e["event"][:-5], e, downs))
        return out

    def check_link(self, card, tx, spi="1619", absent=()):
        """Checks every command, PoR and MG of tx against the bytes on the netsim link.
        absent: msg-ids of commands the server sent while no device was attached.
        Returns {"commands": [...], "pors": [...], "mgs": [...]} of decoded messages."""
        frames = self.netsim.of(self.cards[card]["link_iccid"])
        txid = tx["txid"]
        out = {"commands": [], "pors": [], "mgs": []}
        sent = [e for e in tx["timeline"] if e["event"] in ("c1-sent", "c2-sent", "release-sent")]
        for e in sent:
            if e["msg-id"] in absent:
                downs = [f for f in frames if f["type"] == DELIVER and f["dir"] == TO_DEVICE and
                         f["id"] == e["msg-id"]]
                check(not downs, lambda: "%s (cntr %s) sent while no device was attached: not on the link" %
                      (e["event"][:-5], e["cntr"]))
        by_cntr = {}
        for kind, e, downs in self.commands_on_link(card, tx, absent):
            check(e["segments"] == 1, lambda: "%s %s: one SMS" % (kind, e["cntr"]))
            check(len(downs) == 1, lambda: "%s (cntr %s) on the link as SMS %s" % (kind, e["cntr"],
                                                                                 [f["id"] for f in downs]))
            sms = parse_deliver(downs[0]["tpdu"])
            check(sms["mti"] == 0 and sms["pid"] == 0x7F and sms["dcs"] in (0xF6, 0x16) and
                  sms["udh"].get(0x70) == b"" and sms["oa"] == "+" + SV2_ADDRESS,
                  lambda: "%s: SMS-DELIVER from +%s, PID 7F, DCS %02X, UDH IEI 70 (command packet)" %
                  (kind, SV2_ADDRESS, sms["dcs"]))
            pkt = self.unwrap_command(sms["data"])
            check(pkt["tar"] == tx["tar"] and pkt["cntr"] == e["cntr"] and pkt["spi"] == spi and
                  pkt["kic"] == "15" and pkt["kid"] == "15" and pkt["cc"],
                  lambda: "%s: secured packet TAR %s, CNTR %s, SPI %s, KIc/KID 15, CC %s: verified and deciphered" %
                  (kind, pkt["tar"], pkt["cntr"], pkt["spi"], pkt["cc"]))
            msg = self.decode(pkt["data"])
            want = {"c1": "C1", "c2": "C2", "release": "release"}[kind]
            check(msg["type"] == want and msg["txid"] == txid, lambda: "%s inside: %s" % (kind, json.dumps(msg)))
            by_cntr[e["cntr"]] = (kind, e, downs[0])
            out["commands"].append(msg)
        for e in [e for e in tx["timeline"] if e["event"] == "por-received"]:
            kind, cmd, down = by_cntr[e["cntr"]]
            reports = [f for f in frames if f["type"] == DELIVER_REPORT and f["id"] == down["id"]]
            check(len(reports) >= 1 and reports[0]["rp"] == 0, lambda: "RP-ACK for the SMS of %s" % kind)
            rep = parse_deliver_report(reports[0]["tpdu"])
            route = "deliver-report" if rep["data"] else "sms-submit"
            check(e["via"] == self.via(route), lambda: "PoR of %s by %s: the API says %s" % (kind, route, e["via"]))
            if route == "deliver-report":
                check(rep["mti"] == 0 and rep.get("pid") == 0x7F and rep.get("dcs") == 0xF6 and
                      rep["udh"].get(0x71) == b"",
                      lambda: "PoR of %s in the DELIVER-REPORT: PID 7F, DCS F6, UDH IEI 71 (response packet): %s" %
                      (kind, reports[0]["tpdu"].hex()))
                packet = rep["data"]
                # our ME marks the response packet's header (doc/wire-formats.md, "TP-UDHI of the DELIVER-REPORT")
                check(rep["udhi"], lambda: "PoR of %s in the DELIVER-REPORT with TP-UDHI 1: %s" % (kind, reports[0]["tpdu"].hex()))
            else:
                check(not rep["data"], lambda: "PoR of %s not in the DELIVER-REPORT (TP-PI %02x)" % (kind, rep["pi"]))
                subs = [f for f in frames if f["type"] == SUBMIT and f["dir"] == FROM_DEVICE]
                found = None
                for f in subs:
                    s = parse_submit(f["tpdu"])
                    if 0x71 in s["udh"] and self.unwrap_response(spi, s["data"])["cntr"] == e["cntr"]:
                        found = s
                check(found is not None and found["da"] == "+" + SV2_ADDRESS and found["pid"] == 0x7F and
                      found["dcs"] == 0xF6,
                      lambda: "PoR of %s in an SMS-SUBMIT to +%s, PID 7F, DCS F6, UDH IEI 71" % (kind, SV2_ADDRESS))
                packet = found["data"]
            por = self.unwrap_response(spi, packet)
            check(por["tar"] == tx["tar"] and por["cntr"] == e["cntr"] and int(por["status"], 16) == e["status"] and
                  por["data"] == e["data"] and por["cc"],
                  lambda: "PoR of %s verified: TAR %s, CNTR %s, status %s, RC/CC %s, data = the API's %s" %
                  (kind, por["tar"], por["cntr"], por["status"], por["cc"], e["data"] or "(none)"))
            if por["data"]:
                msg = self.decode(por["data"])
                check(msg["txid"] == txid, lambda: "PoR of %s carries %s %s" % (kind, msg["type"], json.dumps(msg)))
                out["pors"].append(msg)
        for e in [e for e in tx["timeline"] if e["event"] == "mg-received"]:
            mgs = []
            for f in frames:
                if f["type"] == SUBMIT and f["dir"] == FROM_DEVICE:
                    s = parse_submit(f["tpdu"])
                    if s["da"] == "+" + SV1_ADDRESS:
                        mgs.append(s)
            mine = [s for s in mgs if s["data"] == bytes.fromhex("b1068004" + txid)]
            check(len(mine) == 1 and mine[0]["pid"] == 0 and mine[0]["dcs"] == 0x04 and not mine[0]["udh"],
                  lambda: "MG on the link: SMS-SUBMIT to +%s, PID 00, DCS 04, UD b1068004%s (unsecured)" %
                  (SV1_ADDRESS, txid))
            out["mgs"].append(self.decode(mine[0]["data"].hex()))
        return out

    def terminal_responses(self, card, since=0.0):
        """TERMINAL RESPONSEs the card got after time `since`, decoded, with the card's SW."""
        out = []
        for a in self.apdu[card].commands(b"\x80\x14"):
            if a["t"] < since:
                continue
            c = a["capdu"]
            data = c[5:5 + c[4]]
            tr = {"raw": data.hex(), "sw": a["rapdu"][-2:].hex() if a["rapdu"] else None, "apdu_len": len(c)}
            for tag, v in ctlvs(data):
                if tag == 0x01:
                    tr["number"], tr["type"], tr["qualifier"] = v[0], v[1], v[2]
                elif tag == 0x03:
                    tr["general"], tr["additional"] = v[0], v[1:].hex()
                elif tag == 0x0D:
                    tr["text"] = text_string(v)
                elif tag == 0x10:
                    tr["item"] = v[0]
            out.append(tr)
        return out

    def wait_terminal_responses(self, card, cmd_type, since, count=1, timeout=30):
        """The TERMINAL RESPONSEs to commands of type cmd_type after `since`, answered by the
        card (SW known), once there are at least count of them."""
        return self.h.wait_for(lambda: [t for t in self.terminal_responses(card, since)
                                        if t.get("type") == cmd_type and t["sw"] is not None],
                               timeout, "%d TERMINAL RESPONSE(s) to command type %02x at %s" % (count, cmd_type, card),
                               until=lambda trs: len(trs) >= count)

    def terminal_response(self, card, cmd_type, since):
        """The one TERMINAL RESPONSE to a command of type cmd_type after `since`."""
        trs = self.wait_terminal_responses(card, cmd_type, since)
        check(len(trs) == 1, lambda: "one TERMINAL RESPONSE to command type %02x at %s: %s" % (cmd_type, card, trs))
        self.check_card_log_tr(card, trs[0])
        return trs[0]

    def check_card_log_tr(self, card, tr):
        """uicc-emu -v logs each APDU's header, length and SW (never data): the TR must be there."""
        line = "APDU 80 14 00 00 (%d bytes) -> %s" % (tr["apdu_len"], tr["sw"])
        self.h.wait_for(lambda: line in self.h.cards[card]["proc"].log_text(), 30, "the card's log: " + line)
        check(True, lambda: "uicc-emu -v log of %s: %s" % (card, line))

    def card_state(self, card):
        """The card's state file as {group: {key: value}} (GLib key file)."""
        groups, g = {}, None
        with open(self.h.cards[card]["state"]) as f:
            for line in f:
                line = line.strip()
                if line.startswith("[") and line.endswith("]"):
                    g = groups.setdefault(line[1:-1], {})
                elif "=" in line and g is not None:
                    k, v = line.split("=", 1)
                    g[k] = v
        return groups

    def stored_r1(self, card, tar, txid):
        """The deferred applet's stored transaction (c1, state, r2s, created) in the card's state
        file, or None.  state (doc/protocol.md §3.4): "1" pending (no r2s yet), "0" done."""
        return self.card_state(card).get("deferred %s %s" % (tar, txid))

    def wait_r1_stored(self, card, tar, txid, timeout=30):
        """The stored transaction once R1 is final in the card's state file: state "0" (done)
        with its r2s.  The group exists (state "1") from C1 on; the card writes R1 after it
        answered the TERMINAL RESPONSE, so a TR seen on the link does not mean R1 is stored."""
        return self.h.wait_for(lambda: self.stored_r1(card, tar, txid), timeout,
                               "R1 of %s final in %s's state file (state 0 with r2s)" % (txid, card),
                               until=lambda st: st is not None and st.get("state") == "0" and "r2s" in st)

    def counters(self, card):
        """(card's keyset-1 counter from its state file, server's keyset-1 counter from the API)."""
        st = self.card_state(card).get("ota", {})
        card_cntr = int(st.get("counter-1", "0"))
        ks = [k for k in self.api.card(self.cards[card]["iccid"])["keysets"] if k["kvn"] == 1][0]
        return card_cntr, int(ks["counter"], 16)

    def check_counters(self, card):
        c, s = self.counters(card)
        check(c == s and c > 0, lambda: "%s: counter of keyset 1 is %d in the card's state file and %d in the server" %
              (card, c, s))
        return c


def ini_value(ini, key):
    """A [card] key of a card config's text."""
    return [l.split("=", 1)[1].split("#")[0].strip() for l in ini.splitlines() if l.startswith(key + "=")][0]


def args_bins(argv):
    """PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI [MODEM_EMU] (the e2e flow tests'
    arguments; with MODEM_EMU the modems are QMI modems, qmi_env.py)."""
    if len(argv) < 6:
        raise HarnessError("usage: %s PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI [MODEM_EMU]" %
                           argv[0])
    plugin, uicc, server, agent, cli = argv[1:6]
    bins = {"uicc_emu": uicc, "server": server, "agent": os.path.abspath(agent), "ota_cli": cli}
    if len(argv) > 6:
        bins["modem_emu"] = argv[6]
    if len(argv) > 7 and argv[7] == "uicc=qmi":
        bins["uicc"] = "qmi"
    return plugin, bins


def network_of(bins):
    """"qmi" when the test was given modem-emu, else "netsim"."""
    return "qmi" if "modem_emu" in bins else "netsim"


def uicc_of(bins):
    """"qmi" when the test was given uicc=qmi after modem-emu (the card is the modem's own SIM), else "emu"."""
    return bins.get("uicc", "emu")


def run_one_card(argv, card, answers, body, **start_args):
    """The flow tests' common run: the stack (Stack.start with start_args) with card0 (its ini text) and
    an agent answering `answers`, card0 brought up and the agent registered; then body(h, s, agent);
    the stack stopped after, whatever happened.  network and uicc default to what argv gives
    (network_of, uicc_of)."""
    plugin, bins = args_bins(argv)
    start_args.setdefault("network", network_of(bins))
    start_args.setdefault("uicc", uicc_of(bins))
    with Harness(plugin, bins["uicc_emu"]) as h:
        s = Stack(h, bins)
        try:
            s.start({"card0": card}, **start_args)
            agent = s.agent("agent", "card0", answers)
            s.bring_up("card0")
            agent.wait_registered()
            body(h, s, agent)
        finally:
            s.stop()


def ts(s):
    """RFC 3339 UTC with microseconds -> seconds since the epoch."""
    import datetime
    return datetime.datetime.strptime(s.rstrip("Z"), "%Y-%m-%dT%H:%M:%S.%f").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def events(tx, kind):
    return [e for e in tx["timeline"] if e["event"] == kind]


__all__ = ["Stack", "Api", "Agent", "card_ini", "args_bins", "network_of", "uicc_of", "ini_value", "events", "ts",
           "run_one_card",
           "check", "log", "time"]
