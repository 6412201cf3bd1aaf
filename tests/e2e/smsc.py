# SPDX-License-Identifier: GPL-2.0-or-later
"""The test SMSC (tests/smsc/smsc.js on the npm package `smpp`) for the e2e tests
and the benchmark:

  - install(): `npm ci` from the committed package-lock.json into a directory of
    the build tree (STKBRIDGE_SMSC_MODULES, else build/tests/smsc), once: a stamp
    holds the lockfile it was installed from;
  - Smsc: the SMSC started by PID through the harness (its SMPP port on loopback,
    its netsim socket for the plugin, its control socket, its JSON log), killed
    and restarted on the same port, told to throttle, refuse, hold, misbehave;
  - smpp_config(): the server's [smpp] key file (mode 0600);
  - check_smpp(): the SMPP side of a transaction, against the SMSC's log: every
    command as a submit_sm (esm_class 40, protocol_id 7F, the data_coding,
    the card's MSISDN, short_message = the TP-UD the card got), every PoR and
    MG as a deliver_sm.
"""

import fcntl
import json
import os
import shutil
import subprocess
import time

from control import request_line
from harness import HarnessError, check, log

HERE = os.path.dirname(os.path.abspath(__file__))
SMSC_SRC = os.path.normpath(os.path.join(HERE, "..", "smsc"))
SMSC_JS = os.path.join(SMSC_SRC, "smsc.js")
SYSTEM_ID, PASSWORD = "ots", "secret"


class Unavailable(Exception):
    """node or the npm registry is not there: the test is skipped, saying why."""


def modules_dir():
    d = os.environ.get("STKBRIDGE_SMSC_MODULES")
    if not d:
        d = os.path.normpath(os.path.join(HERE, "..", "..", "build", "tests", "smsc"))
    return d


def install():
    """node_modules for the SMSC (npm ci, the committed lockfile); returns the NODE_PATH."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        raise Unavailable("node and npm are needed for the test SMSC (scripts/install-deps.sh)")
    d = modules_dir()
    os.makedirs(d, exist_ok=True)
    lock_src = os.path.join(SMSC_SRC, "package-lock.json")
    with open(lock_src, "rb") as f:
        lock = f.read()
    stamp = os.path.join(d, "installed-from.lock")
    with open(os.path.join(d, ".install.lock"), "w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)
        try:
            with open(stamp, "rb") as f:
                if f.read() == lock and os.path.isdir(os.path.join(d, "node_modules", "smpp")):
                    return os.path.join(d, "node_modules")
        except OSError:
            pass
        for name in ("package.json", "package-lock.json"):
            shutil.copyfile(os.path.join(SMSC_SRC, name), os.path.join(d, name))
        log("npm ci (the test SMSC's modules) in %s" % d)
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--prefix", d], capture_output=True,
                           text=True, timeout=300)
        if r.returncode != 0:
            raise Unavailable("npm ci failed (no access to the npm registry?): %s" % r.stderr.strip()[-400:])
        with open(stamp, "wb") as f:
            f.write(lock)
    return os.path.join(d, "node_modules")


def smpp_config(path, password=PASSWORD, **keys):
    """The server's --smpp-config file, mode 0600; keys: more [smpp] keys (e.g. window=16)."""
    lines = ["[smpp]", "system-id=%s" % SYSTEM_ID, "password=%s" % password]
    defaults = {"enquire-link-ms": 2000, "response-timeout-ms": 3000, "reconnect-min-ms": 200,
                "reconnect-max-ms": 2000, "throttle-ms": 200}
    defaults.update({k.replace("_", "-"): v for k, v in keys.items()})
    for k, v in defaults.items():
        lines.append("%s=%s" % (k, str(v).lower() if isinstance(v, bool) else v))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


class Smsc:
    """The SMSC process: s = Smsc(h); s.port, s.netsim; s.cmd(cmd="throttle", count=3); s.kill(); s.start()."""

    def __init__(self, h, name="smsc", forward_rp_ack=True, sink=False, subscribers=None):
        """subscribers: {MSISDN: ICCID}, the SMSC's HLR (the plugin's HELLO names the ICCID only)."""
        self.h = h
        self.subscribers = dict(subscribers or {})
        self.name = name
        self.node_path = install()
        self.netsim = h.path(name + "-netsim.sock")
        self.control = h.path(name + "-control.sock")
        self.log_path = h.path(name + ".jsonl")
        self.forward_rp_ack = forward_rp_ack
        self.sink = sink
        self.port = 0
        self.proc = None
        self.runs = 0
        self.start()

    def start(self):
        """Starts (again, on the same SMPP port once it has one)."""
        argv = ["node", SMSC_JS, "--smpp-port", str(self.port), "--netsim", self.netsim, "--control",
                self.control, "--log", self.log_path, "--system-id", SYSTEM_ID, "--password", PASSWORD]
        if self.forward_rp_ack:
            argv.append("--forward-rp-ack")
        if self.sink:
            argv.append("--sink")
        for msisdn, iccid in self.subscribers.items():
            argv += ["--subscriber", "%s=%s" % (msisdn, iccid)]
        env = self.h.child_env()
        env["NODE_PATH"] = self.node_path
        self.runs += 1
        name = "%s-%d" % (self.name, self.runs)
        self.proc = self.h.start_process(name, argv, env=env)
        line = self.h.wait_for(lambda: self._ready(), 20, "%s listening" % name)
        self.port = line["smpp-port"]
        return self

    def _ready(self):
        if not self.proc.alive():
            raise HarnessError("%s exited: %s" % (self.proc.name, self.proc.log_text()[-2000:]))
        for l in self.proc.log_text().splitlines():
            if l.startswith("{") and '"ready"' in l:
                return json.loads(l)
        return None

    def kill(self):
        """kill -9 by PID."""
        self.proc.kill9()

    def alive(self):
        return self.proc.alive()

    def cmd(self, **c):
        """One command on the control socket (smsc.js "control"), its JSON answer."""
        return json.loads(request_line(self.control, json.dumps(c)))

    def stats(self):
        return self.cmd(cmd="stats")

    def events(self, **match):
        """The SMSC's log entries (every run), those whose members equal match."""
        out = []
        try:
            with open(self.log_path) as f:
                for l in f:
                    e = json.loads(l)
                    if all(e.get(k) == v for k, v in match.items()):
                        out.append(e)
        except FileNotFoundError:
            pass
        return out


def wait_bound(h, api, timeout=20, binds=None):
    """GET /v1/links until the smpp link is bound (and, with binds, has bound that often); returns it."""
    def bound():
        try:
            status, links = api.call("GET", "/v1/links")
        except OSError:         # not listening yet
            return None
        smpp = [l for l in links if l["name"] == "smpp"] if status == 200 else []
        if smpp and smpp[0]["state"] == "bound" and \
                (binds is None or sum(s["binds"] for s in smpp[0]["sessions"]) >= binds):
            return smpp[0]
        return None
    return h.wait_for(bound, timeout, "the server's SMPP link bound")


def link_status(api):
    status, links = api.call("GET", "/v1/links")
    return [l for l in links if l["name"] == "smpp"][0]


def check_smpp(s, smsc, card, tx, data_coding=0xF6):
    """The SMPP side of tx: each command the card got (on the netsim tap) left the server as a
    submit_sm to the card's MSISDN; each PoR and MG came back as a deliver_sm."""
    from otaflow import parse_deliver  # noqa: E402 (otaflow imports this module)
    msisdn = [l.split("=", 1)[1] for l in s.cards[card]["ini"].splitlines() if l.startswith("msisdn=")][0]
    submits = smsc.events(smpp="submit_sm")
    for kind, _, downs in s.commands_on_link(card, tx):
        check(len(downs) == 1, lambda: "%s reached the card once" % kind)
        sms = parse_deliver(downs[0]["tpdu"])
        mine = [e for e in submits if bytes.fromhex(e["short_message"]) == sms["ud"]]
        check(len(mine) >= 1, lambda: "%s: a submit_sm carried the TP-UD the card got" % kind)
        e = mine[0]
        check(e["destination_addr"] == msisdn.lstrip("+") and e["dest_addr_ton"] == (1 if msisdn[0] == "+" else 0) and
              e["esm_class"] == 0x40 and e["protocol_id"] == 0x7F and e["data_coding"] == data_coding and
              bytes.fromhex(e["short_message"])[:3] in (b"\x02\x70\x00", b"\x05\x00\x03") and
              e["source_addr"] == "15550199" and e["source_addr_ton"] == 1,
              lambda: "%s as submit_sm: to %s (TON %d), esm_class 40 (UDHI), protocol_id 7F, data_coding %02X, "
              "from +15550199, short_message %s..." % (kind, e["destination_addr"], e["dest_addr_ton"],
                                                     e["data_coding"], e["short_message"][:12]))
    delivers = smsc.events(smpp="deliver_sm")
    for e in [e for e in tx["timeline"] if e["event"] == "por-received"]:
        check(e["via"] == "deliver-sm", lambda: "PoR of %s came as a deliver_sm" % e["command"])
    pors = [d for d in delivers if d["esm_class"] & 0x40 and d["short_message"].startswith("027100")]
    check(len(pors) >= len([e for e in tx["timeline"] if e["event"] == "por-received"]),
          lambda: "deliver_sm with UDH 02 71 00 from the SMSC: %d" % len(pors))
    for e in [e for e in tx["timeline"] if e["event"] == "mg-received"]:
        mg = [d for d in delivers if d["short_message"] == "b1068004" + tx["txid"]]
        check(len(mg) == 1 and mg[0]["destination_addr"] == "15550100" and mg[0]["esm_class"] == 0 and
              mg[0]["source_addr"] == msisdn.lstrip("+"),
              lambda: "the MG as a deliver_sm from %s to 15550100, esm_class 0" % msisdn)


def log_smsc(smsc):
    log("SMSC stats: %s" % json.dumps(smsc.stats()))


__all__ = ["Smsc", "Unavailable", "install", "smpp_config", "wait_bound", "link_status", "check_smpp", "time"]
