#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The README demo (scripts/demo.sh runs it): the whole deferred-response
flow (doc/architecture.md) on the embedded defaults, every piece real:

  uicc-emu          uicc-emu/examples/card0.ini (TAR defe01: deferred applet, IR fixed 30 s, MG)
  ota-test-server   SV1 + SV2, HTTP API on 127.0.0.1, netsim link (plays SMSC and radio)
  ofonod            Debian's oFono with the stkbridge plugin, on a private D-Bus bus,
                    in a private mount namespace (tests/e2e/harness.py)
  stkbridge-agent   scripted: answers "confirm"

It shows the agent's screen, then the transaction's timeline from the API,
C1 to R1; while it runs, the server's live timeline page (doc/api.md) is at
the URL it prints.  Everything runs in a temp dir and is stopped (by PID) at
the end, also on failure or Ctrl-C; with --keep everything stays up after
the transaction (open the page, start more transactions with ota-cli or
curl) until Ctrl-C.  With --installed it runs the installed programs
(/usr/bin, the plugin in oFono's plugin directory: the Debian packages)
instead of BUILD_DIR's.  Needs root (unshare -m, mount).

usage: demo-flow.py [BUILD_DIR] [--keep] [--installed]
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
import harness  # noqa: E402
import otaflow  # noqa: E402

CARD = os.path.join(ROOT, "uicc-emu", "examples", "card0.ini")
TEXT = "Pay 10 EUR to ACME?"


def bold(s):
    return "\033[1m%s\033[0m" % s if sys.stdout.isatty() else s


def quiet(msg):
    pass


# what each timeline event means, and which of its details to show
EVENTS = {
    "queued": ("queued", lambda e: "SV1 asked for it"),
    "c1-sent": ("C1 sent", lambda e: "secured SMS-PP #%d, CNTR %s, keyset %d (trigger: %s)" %
                (e["msg-id"], e["cntr"], e["kvn"], e.get("trigger"))),
    "c2-sent": ("C2 sent", lambda e: "secured SMS-PP #%d, CNTR %s (trigger: %s)" %
                (e["msg-id"], e["cntr"], e.get("trigger"))),
    "release-sent": ("release sent", lambda e: "secured SMS-PP #%d, CNTR %s" % (e["msg-id"], e["cntr"])),
    "por-received": ("PoR received", lambda e: "of %s, in the %s, status %02x, verified: %s" %
                     (e["command"].upper() if e["command"] != "release" else "release",
                      "DELIVER-REPORT" if e["via"] == "deliver-report" else "SMS-SUBMIT", e["status"],
                      e["data"] or "no data")),
    "ir-received": ("IR", lambda e: "the card asks for time: RQ %s" % json.dumps(e["rq"])),
    "mg-received": ("MG received", lambda e: "plain SMS from the card: R1 is ready"),
    "r2s-received": ("R2S", lambda e: "state %s" % e["state"]),
    "r1-delivered": ("R1 delivered", lambda e: "to SV1: %s" % json.dumps(e["result"])),
    "released": ("released", lambda e: "the card forgot the transaction"),
}


def show_timeline(tx, agent_requests):
    """The API's timeline, with the agent's request and answer (its JSON log) in between."""
    rows = []
    for e in tx["timeline"]:
        name, what = EVENTS.get(e["event"], (e["event"], lambda e: ""))
        try:
            detail = what(e)
        except (KeyError, TypeError):
            detail = json.dumps({k: v for k, v in e.items() if k not in ("seq", "tx", "iccid", "at", "event")})
        rows.append((otaflow.ts(e["at"]), e["at"][11:26], name, detail))
    for a in agent_requests:
        t = otaflow.ts(a["time"])
        rows.append((t, a["time"][11:23], "(phone)", "oFono asks the agent: %s %r" % (a["method"], a["text"])))
        end = t + a["elapsed_ms"] / 1000.0
        rows.append((end, "", "(user)", "answers %s -> TERMINAL RESPONSE to the card" % a["script"]))
    rows.sort(key=lambda r: r[0])
    c1 = rows[0][0]
    print("  %-15s %9s  %-14s %s" % ("time (UTC)", "+ms", "event", ""))
    for t, at, name, detail in rows:
        print("  %-15s %9.1f  %-14s %s" % (at, (t - c1) * 1000, name, detail))


PROGRAMS = {"uicc_emu": "uicc-emu/uicc-emu", "server": "ota-test-server/ota-test-server",
            "agent": "agent/stkbridge-agent", "ota_cli": "ota-cli/ota-cli"}


def built(build):
    """The programs and the plugin of a build directory."""
    return ({k: os.path.join(build, p) for k, p in PROGRAMS.items()},
            os.path.join(build, "plugin", "stkbridge.so"))


def installed():
    """The installed programs (PATH) and the plugin in oFono's plugin directory."""
    bins = {k: shutil.which(os.path.basename(p)) for k, p in PROGRAMS.items()}
    try:
        plugindir = subprocess.run(["pkg-config", "--variable=plugindir", "ofono"], capture_output=True,
                                   text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        plugindir = ""
    plugin = os.path.join(plugindir or harness.OFONO_PLUGIN_DIR, "stkbridge.so")
    missing = [os.path.basename(PROGRAMS[k]) for k, v in bins.items() if v is None]
    if not os.path.exists(plugin):
        missing.append(plugin)
    if missing:
        raise harness.HarnessError("--installed: not installed: %s (packages ofono-stkbridge, "
                                   "stkbridge-uicc-emu, stkbridge-ota-test-server)" % ", ".join(missing))
    return bins, plugin


def run(build, keep, use_installed=False):
    bins, plugin = installed() if use_installed else built(build)
    harness.log = otaflow.log = quiet
    with open(CARD) as f:
        ini = f.read()
    with harness.Harness(plugin, bins["uicc_emu"]) as h:
        s = otaflow.Stack(h, bins)
        try:
            print(bold("\n1. Starting the pieces (in %s)" % h.tmp))
            if use_installed:
                print("   the installed programs: %s, plugin %s" % (", ".join(sorted(bins.values())), plugin))
            s.start({"modem0": ini}, taps=False)
            # --keep: later transactions (ota-cli, curl) are answered too
            agent = s.agent("agent", "modem0", ["confirm"],
                            extra=["--auto-confirm", "--input", "1234"] if keep else ())
            print("   uicc-emu        card0.ini, ICCID %s, PIN 1234" % s.cards["modem0"]["iccid"])
            print("   ota-test-server HTTP API %s, netsim link %s" % (s.api.base, s.netsim_sock))
            print("   the live timeline page: %s" % bold(s.api.base + "/"))
            print("   ofonod          -n -p stkbridge, private bus %s" % h.bus_address)
            print("   stkbridge-agent scripted (answers: confirm)")
            s.bring_up("modem0")
            agent.wait_registered()
            path = s.cards["modem0"]["path"]
            if "\n[menu]" in ini:
                # the card's SET UP MENU, pending since its TERMINAL PROFILE, is what the plugin holds
                # for agents to register (doc/plugin.md); the phone is ready once the menu is up
                h.wait_for(lambda: h.props(path, "org.ofono.SimToolkit").get("MainMenu"), 15,
                           "the card's menu at oFono")
            print("   modem %s: powered, PIN entered, online, registered on the netsim link; "
                  "agent registered; SIM toolkit menu up" % path)

            print(bold("\n2. SV1 starts a transaction: POST %s/v1/transactions" % s.api.base))
            req = {"iccid": s.cards["modem0"]["iccid"], "action": "display-text", "text": TEXT}
            print("   %s" % json.dumps(req))
            t_start = time.time()
            tx_id = s.api.start(**req)
            print("   -> 201, transaction %d" % tx_id)
            tx = s.wait_final(tx_id, timeout=60)
            elapsed = time.time() - t_start

            print(bold("\n3. The phone's screen (stkbridge-agent)"))
            for line in agent.proc.log_text().splitlines():
                print("   | " + line)
            a = agent.requests()[0]
            print("   the user answered %s (%s) after %d ms" % (a["script"], a["outcome"], a["elapsed_ms"]))

            print(bold("\n4. The transaction, from GET /v1/transactions/%d" % tx_id))
            show_timeline(tx, agent.requests())

            print(bold("\n5. Result"))
            c1 = [e for e in tx["timeline"] if e["event"] == "c1-sent"][0]
            r1 = [e for e in tx["timeline"] if e["event"] == "r1-delivered"]
            print("   state %s; R1 %s for txid %s" % (tx["state"], json.dumps(tx["result"]), tx["txid"]))
            if r1:
                print("   C1 sent to R1 delivered: %.1f ms (seen here after %.0f ms: the demo polls the API)" %
                      ((otaflow.ts(r1[0]["at"]) - otaflow.ts(c1["at"])) * 1000, elapsed * 1000))
            card, server = s.counters("modem0")
            print("   OTA counter of keyset 1: %d on the card (state file), %d in the server" % (card, server))
            print("   the page: %s" % bold("%s/#tx=%d" % (s.api.base, tx_id)))
            if tx["state"] != "completed" or tx["result"] != {"general": 0, "additional": ""}:
                raise harness.HarnessError("the transaction did not complete with R1 'confirmed'")
            if keep:
                keep_running(h, s, tx_id)
        finally:
            s.stop()
    print("   every process stopped; temp dir removed")


def keep_running(h, s, tx_id):
    """--keep: everything stays up (the agent confirms, and types 1234) until Ctrl-C."""
    print(bold("\n6. Kept running (--keep): Ctrl-C stops everything"))
    print("   the page:        %s/#tx=%d" % (s.api.base, tx_id))
    print("   the API:         %s/v1/transactions (ota-cli: OTA_SERVER=%s)" % (s.api.base, s.api.base))
    print("   the card:        ICCID %s, modem /modem0" % s.cards["modem0"]["iccid"])
    sys.stdout.flush()
    # Ctrl-C even when started with SIGINT ignored (in the background); SIGTERM the same
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        while True:
            for p in h.procs:
                if not p.alive():
                    raise harness.HarnessError("%s (pid %d) exited" % (p.name, p.pid))
            h.iterate(1.0)
    except KeyboardInterrupt:
        print("\n   Ctrl-C: stopping")


def main():
    if os.geteuid() != 0:
        print("demo-flow: needs root (ofonod runs in a private mount namespace)", file=sys.stderr)
        sys.exit(1)
    flags = ("--keep", "--installed")
    args = [a for a in sys.argv[1:] if a not in flags]
    try:
        run(args[0] if args else os.path.join(ROOT, "build"), "--keep" in sys.argv[1:],
            "--installed" in sys.argv[1:])
    except KeyboardInterrupt:
        print("\ninterrupted; every process stopped", file=sys.stderr)
        sys.exit(130)
    except Exception as e:  # the harness printed the daemons' logs
        print("demo failed: %s" % e, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
