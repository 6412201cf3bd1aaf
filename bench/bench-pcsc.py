#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""PC/SC against the unix-socket backend, in the same run (bench/run.sh).

Inside private namespaces (tests/e2e/pcsc_env.py): real pcscd with vpcd;
card1 (uicc-emu) in vpcd reader "Virtual PCD 00 01", card0 on its unix
socket only (never one card behind both: pcscd powers an idle card off).
  1. APDU round trips per second through the plugin's backends
     (pcsc-apdu-rate: READ BINARY of EF_ICCID, one at a time), emu then pcsc,
     then emu again;
  2. e2e transaction latency through the real ofonod: two modems, one per
     backend, each with its own card; N deferred transactions in turn on
     each (POST /v1/transactions -> state "completed", R1 delivered), median
     and worst.
Needs root, pcscd, vsmartcard-vpcd, ofonod; skips (exit 0, a line saying why)
otherwise.

usage: bench-pcsc.py [--build DIR] [-n APDUS] [-t TRANSACTIONS]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import pcsc_env  # noqa: E402
from pcsc_env import PcscHarness, reader_name  # noqa: E402
from deferred_flow import CARD0_ICCID, card_config, create_tx, modem_for, modem_up, start_server, wait_final  # noqa: E402

CARD1_ICCID = "89882390000000000025"


def apdu_rates(h, tool, n, npcsc):
    rows = []
    for kind, target, count in (("--emu", h.cards["card0"]["sock"], n), ("--pcsc", reader_name(1), npcsc),
                                ("--emu", h.cards["card0"]["sock"], n), ("--pcsc", reader_name(1), npcsc)):
        for _ in range(40):            # until pcscd has seen the card in its reader
            r = subprocess.run([tool, kind, target, "-n", str(count)], capture_output=True, text=True, timeout=300)
            if r.returncode == 0 or "No smart card" not in r.stderr:
                break
            time.sleep(0.25)
        if r.returncode != 0:
            raise RuntimeError("pcsc-apdu-rate %s: %s" % (kind, r.stderr.strip()))
        name, count, secs, rate, mean = r.stdout.split()
        rows.append((name, int(count), float(secs), float(rate), float(mean)))
        print("  APDU round trips, %-4s backend: %6.0f /s  (%s in %s s, mean %s us)" % (name, float(rate), count,
                                                                                       secs, mean), flush=True)
    return rows


def e2e_latency(h, server, card0, ntx):
    api, netsim = start_server(h, server, ["card0", "card1"])
    h.start_ofonod("[emu]\nUicc=emu:unix:%s\nNetwork=netsim:unix:%s\n"
                   "[pcsc]\nUicc=pcsc:%s\nNetwork=netsim:unix:%s\n"
                   % (h.cards["card0"]["sock"], netsim, reader_name(1), netsim), debug=False)
    out = {}
    for name, iccid in (("emu", CARD0_ICCID), ("pcsc", CARD1_ICCID)):
        path = modem_for(h, name)
        modem_up(h, path, agent_path="/org/stkbridge/bench/" + name)
    for i in range(ntx):
        for name, iccid in (("emu", CARD0_ICCID), ("pcsc", CARD1_ICCID)):
            t0 = time.monotonic()
            tx = wait_final(h, create_tx(api, iccid, "Bench %d?" % i), timeout=120)
            dt = time.monotonic() - t0
            if tx["state"] != "completed":
                raise RuntimeError("transaction on %s: %s" % (name, tx["state"]))
            out.setdefault(name, []).append(dt)
    for name, lat in out.items():
        print("  e2e transaction latency, %-4s backend: median %.0f ms, worst %.0f ms (%d transactions)"
              % (name, statistics.median(lat) * 1000, max(lat) * 1000, len(lat)), flush=True)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("-n", type=int, default=2000, help="APDUs on the emu backend")
    ap.add_argument("-p", type=int, default=200, help="APDUs on the pcsc backend (about 20/s through vpcd)")
    ap.add_argument("-t", type=int, default=5)
    ap.add_argument("--check", action="store_true")
    args, _ = ap.parse_known_args()
    b = os.path.abspath(args.build)
    tool = os.path.join(b, "bench", "pcsc-apdu-rate")
    plugin = os.path.join(b, "plugin", "stkbridge.so")
    emu = os.path.join(b, "uicc-emu", "uicc-emu")
    server = os.path.join(b, "ota-test-server", "ota-test-server")
    for f in (tool, plugin, emu, server):
        if not os.path.exists(f):
            print("bench-pcsc: skipped (%s not built)" % f)
            return 0
    if os.geteuid() != 0:
        print("bench-pcsc: skipped (needs root for the namespaces)")
        return 0
    try:
        pcsc_env.enter_namespace()
    except SystemExit as e:
        if e.code == pcsc_env.SKIP:
            return 0
        raise
    card0 = os.path.join(ROOT, "uicc-emu", "examples", "card0.ini")
    with PcscHarness(plugin, emu) as h:
        h.start_bus()
        h.start_pcscd()
        # two cards, never one card behind both (pcscd powers an idle card off under the other reader)
        h.start_card("card0", config_path=card0, verbose=False)
        h.start_vpcd_card("card1", slot=1, verbose=False, config_text=card_config(card0, CARD1_ICCID,
                                                                                 "001010123456780"))
        h.wait_for(lambda: "reader vpcd:" in h.cards["card1"]["proc"].log_text(), 15, "card1 in its reader")
        apdu_rates(h, tool, args.n, args.p)
        e2e_latency(h, server, card0, args.t)
    return 0


if __name__ == "__main__":
    sys.exit(main())
