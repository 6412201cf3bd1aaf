#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""stkbridge-agent as a person uses it: interactive, on an 80x24 terminal.

The real ofonod, plugin, uicc-emu and ota-test-server (otaflow.py), and
stkbridge-agent in interactive mode inside a tmux session of 80 columns and
24 lines.  SV1 starts transactions through the API; the test reads the
terminal with `tmux capture-pane`, types with `tmux send-keys` and checks
that the answer reached R1:

  DISPLAY TEXT   a text longer than a line, wrapped; :h shows the help;
                 Enter acknowledges                      -> R1 general 00
  GET INPUT      digits only and hidden: a letter is refused, and nothing
                 typed appears on the screen or in the JSON log -> R1 text
  GET INPUT      visible text, echoed                   -> R1 text
  SELECT ITEM    with a default item (*): Enter takes it -> R1 item
  SELECT ITEM    :b (back)                               -> R1 general 11
  GET INPUT      :e (end session)                        -> R1 general 10

Each screen must be readable: no line wider than 80 columns (capture-pane
-J joins the lines the terminal wrapped), no control character or
replacement character, the request (its header, its text) on the screen
and the prompt on the last line.  Every screen is kept as a test artifact:
BUILD_DIR/agent-screen-NN-NAME.txt.

The default item comes from SV1: the API's "default-item" becomes the C1's
element 8D (doc/protocol.md §3.2), which the deferred applet turns into the
SELECT ITEM's Item identifier (TS 102 223 §8.10); the second SELECT ITEM
names none, and none is marked.

usage: test-agent-terminal.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI BUILD_DIR
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import unicodedata

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import Harness, HarnessError, check, log, main_wrapper  # noqa: E402
from otaflow import Stack, args_bins, card_ini  # noqa: E402

COLS, LINES = 80, 24
MG_TAR = {"ir": "fixed:60", "mg-address": "+15550100"}
EV_MG = {"mg": True, "rq": False, "preset-ms": None}


# ---- the terminal ------------------------------------------------------------------------------

class Terminal:
    """A tmux server of its own (socket in the test's temp dir) with one 80x24 pane."""

    def __init__(self, h, argv, env, artifacts):
        self.h = h
        self.sock = h.path("tmux.sock")
        self.artifacts = artifacts
        self.shots = 0
        cmd = "exec env %s %s" % (" ".join("%s=%s" % kv for kv in env.items()),
                                  " ".join("'%s'" % a for a in argv))
        self.tmux("-f", "/dev/null", "new-session", "-d", "-s", "agent", "-x", str(COLS), "-y", str(LINES), cmd)
        self.tmux("set-option", "-t", "agent", "remain-on-exit", "on")
        self.server_pid = int(self.tmux("display-message", "-p", "-t", "agent", "#{pid}"))
        self.agent_pid = int(self.tmux("display-message", "-p", "-t", "agent", "#{pane_pid}"))
        log("tmux server pid %d, stkbridge-agent pid %d in an %dx%d pane" %
            (self.server_pid, self.agent_pid, COLS, LINES))

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-S", self.sock] + list(args), capture_output=True, text=True, timeout=10)
        if r.returncode != 0:
            raise HarnessError("tmux %s: %s" % (" ".join(args), r.stderr.strip()))
        return r.stdout.strip()

    def screen(self):
        """The visible 24 lines, each line the terminal wrapped joined again (-J)."""
        out = subprocess.run(["tmux", "-S", self.sock, "capture-pane", "-p", "-J", "-t", "agent"],
                             capture_output=True, text=True, timeout=10).stdout
        return [l.rstrip() for l in out.split("\n")][:LINES]

    def history(self):
        return subprocess.run(["tmux", "-S", self.sock, "capture-pane", "-p", "-J", "-S", "-", "-t", "agent"],
                              capture_output=True, text=True, timeout=10).stdout

    def type(self, text, enter=True):
        if text:
            self.tmux("send-keys", "-t", "agent", "-l", text)
        if enter:
            self.tmux("send-keys", "-t", "agent", "Enter")

    def wait_screen(self, what, predicate, timeout=30):
        return self.h.wait_for(lambda: (lambda s: s if predicate(s) else None)(self.screen()), timeout, what)

    def keep(self, name, lines):
        self.shots += 1
        path = os.path.join(self.artifacts, "agent-screen-%02d-%s.txt" % (self.shots, name))
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path

    def stop(self):
        for pid, sig in ((self.agent_pid, signal.SIGTERM), (self.server_pid, signal.SIGTERM)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass


def words(text):
    return " ".join(text.split())


def last_line(lines):
    filled = [l for l in lines if l.strip()]
    return filled[-1] if filled else ""


def check_readable(term, name, lines, header, text):
    """The screen of one request: within 80 columns, clean, the request and the prompt on it."""
    path = term.keep(name, lines)
    wide = [l for l in lines if len(l) > COLS]
    check(not wide, lambda: "%s: no line wider than %d columns (%s)" % (name, COLS, os.path.basename(path)))
    bad = [l for l in lines if any(unicodedata.category(c)[0] == "C" or c == "\ufffd" for c in l)]
    check(not bad, lambda: "%s: no control or replacement character on the screen: %r" % (name, bad[:2]))
    check(any(l.startswith(header) for l in lines), lambda: "%s: the request's header %r is on the screen" % (name, header))
    check(words(text) in words(" ".join(lines)), lambda: "%s: the text is on the screen: %r" % (name, text[:60]))
    check(last_line(lines).startswith(">"), lambda: "%s: the prompt is on the last line: %r" % (name, last_line(lines)))


def prompt_with(lines, shown):
    """The screen waits for the user (its last line is the prompt) and shows this text."""
    return last_line(lines).startswith(">") and words(shown) in words(" ".join(lines))


def run():
    plugin, bins = args_bins(sys.argv)
    artifacts = sys.argv[6] if len(sys.argv) > 6 else os.getcwd()
    if shutil.which("tmux") is None:
        print("1..0 # SKIP tmux not installed")
        sys.exit(77)
    for old in os.listdir(artifacts):
        if old.startswith("agent-screen-") and old.endswith(".txt"):
            os.unlink(os.path.join(artifacts, old))
    with Harness(plugin, bins["uicc_emu"]) as h:
        s = Stack(h, bins)
        term = None
        try:
            s.start({"card0": card_ini("89882390000000000405", "001010000000405", "+15550405",
                                       {"defe01": MG_TAR})}, taps=False)
            s.bring_up("card0")
            jlog = h.path("agent.jsonl")
            env = {"DBUS_SYSTEM_BUS_ADDRESS": h.bus_address, "TERM": "screen", "LC_ALL": "C.UTF-8"}
            term = Terminal(h, [bins["agent"], "--modem", "/card0", "--json-log", jlog], env, artifacts)
            h.wait_for(lambda: os.path.exists(jlog) and '"RegisterAgent","error":null' in open(jlog).read(), 20,
                       "stkbridge-agent registered (its JSON log)")
            sessions(h, s, term, jlog)
        finally:
            if term is not None:
                term.keep("at-exit", term.history().split("\n"))
                term.stop()
            s.stop()


def transaction(s, **req):
    return s.start_tx("card0", tar="defe01", ev=EV_MG, **req)


def r1(s, tx_id):
    tx = s.wait_final(tx_id)
    check(tx["state"] == "completed", lambda: "transaction %d completed" % tx_id)
    return tx["result"]


def sessions(h, s, term, jlog):
    def next_screen(what, shown):
        return term.wait_screen(what, lambda l: prompt_with(l, shown))

    # ---- DISPLAY TEXT, longer than a line; help; Enter -------------------------------------
    text = ("Your bank asks you to confirm a transfer of 1250.00 EUR to ACME Corporation Ltd, "
            "account DE02 1203 0000 0000 2020 51, reference invoice 2026-4711. Confirm?")
    tx = transaction(s, action="display-text", text=text)
    lines = next_screen("the DISPLAY TEXT on the screen", text)
    check_readable(term, "display-text", lines, "[/card0] DisplayText", text)
    check(sum(1 for l in lines if l.startswith("  ") and l.strip() in text) >= 2,
          "display-text: the long text is wrapped over several lines")
    term.type(":h")
    lines = next_screen("the help", "To answer: Enter to acknowledge")
    check_readable(term, "display-text-help", lines, "[/card0] DisplayText", "To answer: Enter to acknowledge")
    check(any(l.startswith("    :b or :back ") for l in lines) and any(l.startswith("    :busy ") for l in lines),
          "help: the commands DisplayText takes (back, end, busy)")
    term.type("")
    check(r1(s, tx) == {"general": 0, "additional": ""}, "Enter: R1 general result 00 (the user cleared the text)")

    # ---- GET INPUT, digits only, hidden ----------------------------------------------------
    pin = "8352"
    tx = transaction(s, action="get-input", text="Your PIN for ACME?",
                     input={"min": 4, "max": 8, "digits": True, "hidden": True})
    lines = next_screen("the hidden GET INPUT on the screen", "Your PIN for ACME?")
    check_readable(term, "get-input-hidden", lines, "[/card0] RequestDigits", "Your PIN for ACME?")
    check(any("4 to 8 digits" in l and "hidden" in l for l in lines) and
          "not shown" in " ".join(lines), "get-input-hidden: the screen says 4 to 8 digits, not shown")
    term.type("12a4")
    lines = next_screen("a letter refused", "digits only")
    term.keep("get-input-hidden-refused", lines)
    check(any("digits only" in l for l in lines), "a letter in a digits-only input is refused, asked again")
    term.type(pin)
    result = r1(s, tx)
    check(result == {"general": 0, "additional": "", "text": pin}, lambda: "the PIN reached R1: %s" % json.dumps(result))
    lines = term.wait_screen("the hidden answer shown as ****", lambda l: any("-> \"****\"" in x for x in l))
    term.keep("get-input-hidden-answered", lines)
    shown = term.history()
    check(pin not in shown and "12a4" not in shown, "nothing typed for the hidden input is on the terminal")
    check(pin not in open(jlog).read(), "nor in the agent's JSON log")

    # ---- GET INPUT, visible ----------------------------------------------------------------
    tx = transaction(s, action="get-input", text="Your name?", input={"min": 1, "max": 20})
    lines = next_screen("the GET INPUT on the screen", "Your name?")
    check_readable(term, "get-input", lines, "[/card0] RequestInput", "Your name?")
    term.type("Ada Lovelace", enter=False)
    lines = term.wait_screen("the typed text echoed", lambda l: last_line(l) == "> Ada Lovelace")
    term.keep("get-input-typing", lines)
    term.type("")
    result = r1(s, tx)
    check(result == {"general": 0, "additional": "", "text": "Ada Lovelace"}, lambda: "the text reached R1: %s" % result)

    # ---- SELECT ITEM with a default: Enter -------------------------------------------------
    tx = transaction(s, action="select-item", text="Pay with?", items=["Card", "Bank transfer", "Cash"],
                     **{"default-item": 2})
    check(s.api.tx(tx).get("default-item") == 2, "the transaction keeps its default item (2)")
    lines = next_screen("the SELECT ITEM on the screen", "Pay with?")
    check_readable(term, "select-item-default", lines, "[/card0] RequestSelection", "Pay with?")
    check(any(re.match(r"^  \*1\) Bank transfer$", l) for l in lines) and
          any(re.match(r"^   0\) Card$", l) for l in lines),
          "select-item: the items with their numbers, the default (item id 2, index 1) marked *")
    check(any("Enter for 1" in l for l in lines), "select-item: the prompt offers Enter for the default")
    term.type("")
    result = r1(s, tx)
    check(result == {"general": 0, "additional": "", "item": 2}, lambda: "Enter took the default: R1 item 2: %s" % result)

    # ---- SELECT ITEM: back -----------------------------------------------------------------
    tx = transaction(s, action="select-item", text="Receipt by?", items=["SMS", "e-mail"])
    lines = next_screen("the second SELECT ITEM", "Receipt by?")
    check_readable(term, "select-item-back", lines, "[/card0] RequestSelection", "Receipt by?")
    own = lines[max(i for i, l in enumerate(lines) if l.startswith("[/card0] RequestSelection")):]
    check(any(re.match(r"^   0\) SMS$", l) for l in own) and not any(re.match(r"^  \*\d", l) for l in own) and
          not any("Enter for" in l for l in own),
          lambda: "select-item without a default: no item marked, no Enter shortcut: %r" % own)
    term.type("7")
    next_screen("no such item, asked again", "type an item number from 0 to 1")
    term.type(":b")
    result = r1(s, tx)
    check(result == {"general": 0x11, "additional": ""}, lambda: ":b: R1 general result 11 (backward move): %s" % result)

    # ---- GET INPUT: end session ------------------------------------------------------------
    tx = transaction(s, action="get-input", text="Anything else?")
    lines = next_screen("the last GET INPUT", "Anything else?")
    check_readable(term, "get-input-end", lines, "[/card0] RequestInput", "Anything else?")
    term.type(":e")
    result = r1(s, tx)
    check(result == {"general": 0x10, "additional": ""}, lambda: ":e: R1 general result 10 (session ended): %s" % result)

    answers = [json.loads(x) for x in open(jlog) if '"outcome"' in x]
    check([a["source"] for a in answers] == ["user"] * 6 and
          [a["method"] for a in answers] == ["DisplayText", "RequestDigits", "RequestInput", "RequestSelection",
                                             "RequestSelection", "RequestInput"],
          "the JSON log: six requests, each answered by the user")


if __name__ == "__main__":
    main_wrapper(run)
