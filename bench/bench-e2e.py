#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench-e2e: time from C1 submitted to R1 delivered through the real ofonod.

The whole deferred flow (doc/architecture.md) on the embedded defaults (uicc-emu with
uicc-emu/examples/card0.ini, ota-test-server with its netsim link, ofonod
with the stkbridge plugin on a private bus in a private mount namespace,
stkbridge-agent --auto-confirm) runs N transactions one after the other
(DISPLAY TEXT; EV rule MG, so nothing waits on a timer): POST
/v1/transactions, then the next one as soon as the server's event stream
says "released".  No debug logs.

Reported (milliseconds):
  - submit -> R1: from the POST to the server's r1-delivered timestamp (p50, p99);
  - C1 sent -> R1: from the server's c1-sent to r1-delivered;
  - the legs of the server's timeline (medians);
  - where the time goes, from three more runs:
      * "tmpfs DB": the server's SQLite database on /dev/shm (its fsyncs cost
        nothing there): the difference is SQLite's durability;
      * "tmpfs all": the card's state file too: the difference is the card's
        atomic-replace + fsync of its counter, C1 and R1;
      * "traced": recording proxies on the netsim link and the APDU link
        (tests/e2e/taps.py) time each hop: server (SQLite commit before an SMS
        leaves, PoR verification), the device (plugin + ENVELOPE APDUs), the
        card itself (sum of APDU round trips), the proactive session (FETCH
        to TERMINAL RESPONSE: oFono core and the D-Bus round trip to the
        agent), the MG's way out (TR to the SMS-SUBMIT on the link).
        The proxies add their own latency (Python threads): absolute values
        in that run are higher; the shares are what it tells.
    Crypto per secured packet is bench-uicc's / bench-ota's figure (µs).

usage: bench-e2e.py [-n N] [--build DIR] [--quick] [--check]
Needs root (unshare -m, mount); prints "skipped" otherwise.  Exit 1 with
--check when the p99 of submit -> R1 is over 100 ms.
"""

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

TARGET_P99_MS = 100.0


def pct(values, p):
    v = sorted(values)
    if not v:
        return float("nan")
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class EventStream:
    """GET /v1/events (SSE) in a thread: remembers which transactions ended."""

    def __init__(self, port):
        self.ended = {}
        self.cond = threading.Condition()
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.conn.request("GET", "/v1/events")
        self.resp = self.conn.getresponse()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        kind = None
        try:
            while True:
                line = self.resp.fp.readline()
                if not line:
                    return
                line = line.decode().rstrip("\r\n")
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind in ("released", "failed", "expired",
                                                               "release-unconfirmed"):
                    ev = json.loads(line[6:])
                    with self.cond:
                        self.ended[ev["tx"]] = kind
                        self.cond.notify_all()
        except (OSError, ValueError):
            return

    def wait(self, tx_id, timeout=30):
        end = time.monotonic() + timeout
        with self.cond:
            while tx_id not in self.ended:
                left = end - time.monotonic()
                if left <= 0:
                    raise TimeoutError("transaction %d did not end" % tx_id)
                self.cond.wait(left)
            return self.ended[tx_id]

    def close(self):
        try:
            self.conn.sock.shutdown(2)
        except OSError:
            pass
        self.conn.close()


def legs_of(tx):
    """Server timeline legs of one transaction, in ms."""
    from otaflow import ts
    at = {}
    for e in tx["timeline"]:
        key = e["event"]
        if key == "por-received":
            key = "por-" + e["command"]
        at.setdefault(key, ts(e["at"]))
    ms = lambda a, b: (at[b] - at[a]) * 1000  # noqa: E731
    return {
        "C1 sent -> PoR (IR) received": ms("c1-sent", "por-c1"),
        "PoR (IR) -> MG received (proactive session, MG)": ms("por-c1", "mg-received"),
        "MG -> C2 sent": ms("mg-received", "c2-sent"),
        "C2 sent -> PoR (R2S) received": ms("c2-sent", "por-c2"),
        "PoR (R2S) -> R1 delivered": ms("por-c2", "r1-delivered"),
    }, at


def run_once(n, warmup, build, label, tmpdir=None, db_tmpfs=False, traced=False):
    import harness
    import otaflow
    harness.log = otaflow.log = lambda msg: None
    if tmpdir:
        tempfile.tempdir = tmpdir
    bins = {"uicc_emu": os.path.join(build, "uicc-emu", "uicc-emu"),
            "server": os.path.join(build, "ota-test-server", "ota-test-server"),
            "agent": os.path.join(build, "agent", "stkbridge-agent"),
            "ota_cli": os.path.join(build, "ota-cli", "ota-cli")}
    with open(os.path.join(ROOT, "uicc-emu", "examples", "card0.ini")) as f:
        ini = f.read()
    out = {"label": label}
    with harness.Harness(os.path.join(build, "plugin", "stkbridge.so"), bins["uicc_emu"]) as h:
        s = otaflow.Stack(h, bins)
        db = None
        if db_tmpfs:
            db_dir = tempfile.mkdtemp(prefix="bench-e2e-db-", dir="/dev/shm")
            db = os.path.join(db_dir, "ots.db")
        try:
            s.start({"modem0": ini}, taps=traced, verbose=False, db=db)
            agent = s.agent("agent", "modem0", [], extra=["--auto-confirm", "--quiet"])
            s.bring_up("modem0")
            agent.wait_registered()
            stream = EventStream(s.port)
            iccid = s.cards["modem0"]["iccid"]
            time.sleep(0.2)
            posted = {}
            for i in range(warmup + n):
                t = time.time()
                tx_id = s.api.start(iccid=iccid, action="display-text", text="Pay %d EUR?" % (i + 1))
                end = stream.wait(tx_id)
                if end != "released":
                    raise RuntimeError("transaction %d ended %s" % (tx_id, end))
                if i >= warmup:
                    posted[tx_id] = t
            stream.close()
            totals, internal, legs = [], [], {}
            hops = {}
            for tx_id, t in posted.items():
                tx = s.api.tx(tx_id)
                lg, at = legs_of(tx)
                totals.append((at["r1-delivered"] - t) * 1000)
                internal.append((at["r1-delivered"] - at["c1-sent"]) * 1000)
                for k, v in lg.items():
                    legs.setdefault(k, []).append(v)
                if traced:
                    for k, v in trace_hops(s, tx, at).items():
                        hops.setdefault(k, []).append(v)
            out.update(totals=totals, internal=internal, legs=legs, hops=hops,
                       agent_ms=[r["elapsed_ms"] for r in agent.requests()[warmup:]])
        finally:
            s.stop()
            if db:
                for f in os.listdir(os.path.dirname(db)):
                    os.unlink(os.path.join(os.path.dirname(db), f))
                os.rmdir(os.path.dirname(db))
            tempfile.tempdir = None
    return out


def trace_hops(s, tx, at):
    """Hops of one transaction from the taps' timestamps (ms)."""
    from otaflow import parse_submit
    from taps import DELIVER, DELIVER_REPORT, SUBMIT
    iccid = s.cards["modem0"]["iccid"]
    frames = s.netsim.of(iccid)
    sent = {e["event"][:-5]: e["msg-id"] for e in tx["timeline"] if e["event"] in ("c1-sent", "c2-sent")}
    f_at = {}
    for kind, mid in sent.items():
        f_at[kind + "-deliver"] = [f["t"] for f in frames if f["type"] == DELIVER and f["id"] == mid][0]
        f_at[kind + "-report"] = [f["t"] for f in frames if f["type"] == DELIVER_REPORT and f["id"] == mid][0]
    mg = [f["t"] for f in frames if f["type"] == SUBMIT and
          parse_submit(f["tpdu"])["data"] == bytes.fromhex("b1068004" + tx["txid"])][0]
    apdus = [a for a in s.apdu["modem0"].apdus if at["c1-sent"] <= a["t"] <= at["r1-delivered"]]
    card_ms = {}
    for a in apdus:
        key = "%02x%02x" % (a["capdu"][0], a["capdu"][1])
        card_ms[key] = card_ms.get(key, 0.0) + (a.get("rt", a["t"]) - a["t"]) * 1000
    fetch_dt = [a for a in apdus if a["capdu"][:2] == b"\x80\x12" and a["rapdu"] and a["rapdu"][:1] == b"\xd0"
                and b"\x81\x03" in a["rapdu"][:6] and a["rapdu"][a["rapdu"].index(b"\x81\x03") + 3] == 0x21]
    tr_dt = [a for a in apdus if a["capdu"][:2] == b"\x80\x14" and a["capdu"][5 + 3] == 0x21]
    ms = lambda a, b: (b - a) * 1000  # noqa: E731
    hops = {
        "server: C1 sent -> C1 on the link (SQLite commit)": ms(at["c1-sent"], f_at["c1-deliver"]),
        "device: C1 on the link -> PoR on the link (plugin + card)": ms(f_at["c1-deliver"], f_at["c1-report"]),
        "server: PoR on the link -> PoR received (verify)": ms(f_at["c1-report"], at["por-c1"]),
        "card: FETCH DISPLAY TEXT -> its TERMINAL RESPONSE (oFono + D-Bus + agent)":
            ms(fetch_dt[0]["rt"], tr_dt[0]["t"]) if fetch_dt and tr_dt else float("nan"),
        "device: TR -> MG on the link (R1 stored, SEND SM, oFono SMS)":
            ms(tr_dt[0]["t"], mg) if tr_dt else float("nan"),
        "server: MG on the link -> C2 on the link (SQLite commit)": ms(mg, f_at["c2-deliver"]),
        "device: C2 on the link -> PoR on the link": ms(f_at["c2-deliver"], f_at["c2-report"]),
        "server: PoR on the link -> R1 delivered": ms(f_at["c2-report"], at["r1-delivered"]),
        "APDUs C1 to R1 (count)": float(len(apdus)),
        "  of which ENVELOPE (80c2)": float(len([a for a in apdus if a["capdu"][:2] == b"\x80\xc2"])),
        "  of which GET RESPONSE (00c0)": float(len([a for a in apdus if a["capdu"][:2] == b"\x00\xc0"])),
        "  of which FETCH (8012)": float(len([a for a in apdus if a["capdu"][:2] == b"\x80\x12"])),
        "  of which TERMINAL RESPONSE (8014)": float(len([a for a in apdus if a["capdu"][:2] == b"\x80\x14"])),
        "time inside the card: all APDU round trips": sum(card_ms.values()),
        "time inside the card: ENVELOPEs (80c2)": card_ms.get("80c2", 0.0),
    }
    return hops


def report(runs, n):
    base = runs[0]
    print("bench-e2e: %d transactions (DISPLAY TEXT, EV MG, agent --auto-confirm), real ofonod; ms" % n)
    print("%-34s %8s %8s %8s %8s" % ("run", "p50", "p99", "mean", "max"))
    for r in runs:
        for name, key in (("submit -> R1", "totals"), ("C1 sent -> R1", "internal")):
            v = r[key]
            print("%-34s %8.2f %8.2f %8.2f %8.2f" % ("%s: %s" % (r["label"], name), pct(v, 50), pct(v, 99),
                                                   statistics.mean(v), max(v)))
    print("\nlegs of the server's timeline (%s run), median ms:" % base["label"])
    for k, v in base["legs"].items():
        print("  %-52s %7.2f" % (k, pct(v, 50)))
    print("  %-52s %7.2f" % ("(the agent's own answer time, its JSON log)", pct(base["agent_ms"], 50)))
    by = {r["label"]: r for r in runs}
    if "tmpfs DB" in by and "tmpfs all" in by:
        d = pct(base["internal"], 50)
        print("\ndurability, median of C1 sent -> R1:")
        print("  server SQLite (synchronous=FULL, WAL) fsyncs: %6.2f ms" % (d - pct(by["tmpfs DB"]["internal"], 50)))
        print("  card state file (atomic replace + fsync):      %6.2f ms" %
              (pct(by["tmpfs DB"]["internal"], 50) - pct(by["tmpfs all"]["internal"], 50)))
        print("  what remains (IPC, D-Bus, oFono, APDUs, crypto): %6.2f ms" % pct(by["tmpfs all"]["internal"], 50))
    if "traced" in by:
        print("\nhops (traced run: proxies on both links add latency), median:")
        for k, v in by["traced"]["hops"].items():
            print("  %-75s %7.2f" % (k, pct(v, 50)))
    print("\ncrypto: 3DES2 CBC + CBC-MAC secured packet wrap+unwrap ~13 us (bench-ota), card side ~7 us "
          "(bench-uicc): 6 packets a transaction, well under 0.1 ms in all")


def main():
    ap = argparse.ArgumentParser(description="C1 submitted -> R1 delivered through the real ofonod")
    ap.add_argument("-n", type=int, default=200)
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--quick", action="store_true", help="the baseline run only")
    ap.add_argument("--check", action="store_true", help="exit 1 if p99 submit -> R1 > %.0f ms" % TARGET_P99_MS)
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("bench-e2e: skipped (needs root: ofonod runs in a private mount namespace)")
        return 0
    warm = 5
    runs = [run_once(args.n, warm, args.build, "disk")]
    if not args.quick:
        runs.append(run_once(args.n, warm, args.build, "tmpfs DB", db_tmpfs=True))
        runs.append(run_once(args.n, warm, args.build, "tmpfs all", tmpdir="/dev/shm", db_tmpfs=True))
        runs.append(run_once(min(args.n, 50), warm, args.build, "traced", traced=True))
    report(runs, args.n)
    p99 = pct(runs[0]["totals"], 99)
    print("\ntarget: p99 submit -> R1 <= %.0f ms: %s" % (TARGET_P99_MS, "met" if p99 <= TARGET_P99_MS else "MISSED"))
    return 1 if args.check and p99 > TARGET_P99_MS else 0


if __name__ == "__main__":
    sys.exit(main())
