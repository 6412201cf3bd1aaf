#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The e2e harness itself, without daemons (suite 'unit'):

  - wait_until(): returns the value once it is the state waited for; reads a
    probe's "not there yet" errors as not yet; on timeout names the last
    value read, even one whose repr raises; stops at once when told a daemon
    died; lets a bug in the probe through;
  - stays(): a state that holds for the window, and one that stops holding;
  - check(): a message built from data that is absent when the check fails
    does not raise in place of the failure;
  - session_done() of test-restarts.py against a card state file whose R1
    becomes final only after the TERMINAL RESPONSE was seen (issue 9, defect
    1: it read the stored transaction while its state was still "1", and its
    failure message raised KeyError 'r2s'); Stack.wait_r1_stored() on a state
    file that never becomes final reports what it last read;
  - ApduTap.hold(): a held command APDU does not reach the card until
    release();
  - the e2e tests' sources: every check() message is a string literal or a
    lambda (built only by check()), and no statement is a bare sleep
    (time.sleep or the main loop run for a while) in a test or flow module.

usage: test-harness.py
"""

import ast
import glob
import importlib.util
import os
import socket
import struct
import sys
import tempfile
import threading
import time
import traceback

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
try:
    import dbus  # noqa: F401,E402  (the harness needs Debian's python3-dbus and python3-gi)
    import gi  # noqa: F401,E402
except ImportError as e:
    print("1..0 # SKIP %s (run with /usr/bin/python3)" % e)
    sys.exit(77)
from harness import Harness, HarnessError, check, stays, wait_until  # noqa: E402
from otaflow import Stack  # noqa: E402
from taps import ApduTap  # noqa: E402

TAR, TXID = "defe04", "0000002a"
C1 = "a02d80040000002a8101018213"
R2S_DONE = "b20f80040000002a810101870100880100"
# TERMINAL RESPONSE to DISPLAY TEXT (TS 102 223 §6.8): command details 01 21 80, device
# identities ME -> UICC, result 00
TR_DISPLAY_TEXT = bytes.fromhex("801400000c" "8103012180" "82028281" "830100")


def raises(exc_type, fn):
    """The exception fn() raised, which must be an exc_type."""
    try:
        fn()
    except exc_type as e:
        return e
    except Exception as e:
        raise AssertionError("raised %s: %s, expected %s" % (type(e).__name__, e, exc_type.__name__))
    raise AssertionError("did not raise %s" % exc_type.__name__)


# ---- wait_until / stays / check ----------------------------------------------------------------

def test_wait_until_returns_the_state():
    reads = iter([None, {"state": "1"}, {"state": "0", "r2s": "b2"}, {"never": "read"}])
    got = wait_until(lambda: next(reads), 5, "final", until=lambda st: st and st.get("state") == "0",
                     interval=0.001)
    assert got == {"state": "0", "r2s": "b2"}, got


def test_wait_until_not_yet_errors():
    seq = iter([FileNotFoundError("state"), ValueError("half a JSON line"), KeyError("timeline"), "there"])

    def probe():
        v = next(seq)
        if isinstance(v, Exception):
            raise v
        return v
    assert wait_until(probe, 5, "there", interval=0.001) == "there"


def test_wait_until_timeout_names_the_last_value():
    class Nasty:
        def __repr__(self):
            raise KeyError("r2s")
    e = raises(HarnessError, lambda: wait_until(lambda: {"state": "1", "c1": C1}, 0.05, "R1 final",
                                                until=lambda st: st["state"] == "0", interval=0.01))
    assert "timeout" in str(e) and "R1 final" in str(e) and "'state': '1'" in str(e), e
    e = raises(HarnessError, lambda: wait_until(Nasty, 0.05, "a nasty value", until=lambda v: False,
                                                interval=0.01))
    assert "Nasty, repr raised KeyError" in str(e), e
    e = raises(HarnessError, lambda: wait_until(lambda: open("/nonexistent/state"), 0.05, "a file",
                                                interval=0.01))
    assert "FileNotFoundError" in str(e), e


def test_wait_until_abort_and_bugs():
    t = time.monotonic()
    e = raises(HarnessError, lambda: wait_until(lambda: False, 30, "x", abort=lambda: "ofonod exited (status -9)"))
    assert "ofonod exited" in str(e) and time.monotonic() - t < 5, e
    nothing = None
    raises(TypeError, lambda: wait_until(lambda: nothing["state"], 30, "a bug in the probe"))


def test_stays():
    assert stays(lambda: "quiet", 0.05, "nothing sent", interval=0.01) == "quiet"
    end = time.monotonic() + 0.05
    e = raises(AssertionError, lambda: stays(lambda: time.monotonic() < end, 5, "no C2", interval=0.01))
    assert "no C2: no longer true" in str(e), e


def test_check_messages_never_raise():
    stored = {"state": "1", "c1": C1}
    e = raises(AssertionError, lambda: check(stored.get("state") == "0",
                                             lambda: "the card holds R1: %s" % stored["r2s"]))
    assert "KeyError" in str(e) and "r2s" in str(e), e
    check(True, lambda: "ok even if the message raises: %s" % stored["r2s"])
    e = raises(AssertionError, lambda: check(False, lambda: "general %02X" % None))
    assert "TypeError" in str(e), e
    raises(AssertionError, lambda: check(0, "a literal"))


# ---- session_done (test-restarts.py) against a card that writes R1 late -----------------------

def state_text(state, r2s=None):
    """The card's state file (doc/card-config.md) with one deferred transaction."""
    text = "[ota]\ncounter-1=1\n\n[deferred %s %s]\nc1=%s\nstate=%s\ncreated=1700000000\n" % (TAR, TXID, C1, state)
    return text + ("r2s=%s\n" % r2s if r2s else "")


def write_atomic(path, text):
    """As uicc-emu commits (g_file_set_contents: a new file renamed over the old one)."""
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


class FakeTap:
    """ApduTap.commands() of a card that has answered one TERMINAL RESPONSE."""

    def __init__(self, t):
        self.records = [{"t": t, "conn": 1, "capdu": TR_DISPLAY_TEXT, "rapdu": b"\x90\x00", "rt": t}]

    def commands(self, cla_ins):
        return [a for a in self.records if a["capdu"][:2] == cla_ins]


class FakeApi:
    """ota-test-server's API for one transaction that got its IR and waits (indefinite RQ)."""

    def tx(self, tx_id):
        return {"id": tx_id, "txid": TXID, "tar": TAR, "state": "waiting",
                "timeline": [{"event": "c1-sent"}, {"event": "por-received"}, {"event": "ir-received"}]}


def fake_stack(h):
    s = Stack(h, {})
    h.cards["card0"] = {"state": h.path("card0.state"), "proc": None}
    s.apdu["card0"] = FakeTap(time.time())
    s.api = FakeApi()
    return s


def load_test_restarts():
    spec = importlib.util.spec_from_file_location("test_restarts", os.path.join(HERE, "test-restarts.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_session_done_waits_for_final_r1():
    """The TR is on the link, the card's state file still says state 1 (pending, no r2s);
    the card commits R1 0.5 s later.  session_done() must return the final R1."""
    restarts = load_test_restarts()
    with Harness("/dev/null") as h:
        s = fake_stack(h)
        path = h.cards["card0"]["state"]
        write_atomic(path, state_text(1))
        writer = threading.Timer(0.5, write_atomic, (path, state_text(0, R2S_DONE)))
        writer.start()
        try:
            txid, stored = restarts.session_done(h, s, 1, TAR, 0x21, 0.0)
        finally:
            writer.join()
        assert txid == TXID, txid
        assert stored.get("state") == "0" and stored.get("r2s") == R2S_DONE, stored


def test_wait_r1_stored_reports_what_it_read():
    with Harness("/dev/null") as h:
        s = fake_stack(h)
        write_atomic(h.cards["card0"]["state"], state_text(1))
        e = raises(HarnessError, lambda: s.wait_r1_stored("card0", TAR, TXID, timeout=0.3))
        assert "state 0 with r2s" in str(e) and "'state': '1'" in str(e), e


# ---- ApduTap.hold ----------------------------------------------------------------------------

def test_apdu_tap_hold():
    tmp = tempfile.mkdtemp(prefix="stkbridge-tap-")
    card_path, tap_path = os.path.join(tmp, "card.sock"), os.path.join(tmp, "tap.sock")
    card = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    card.bind(card_path)
    card.listen(1)

    def card_loop():
        c, _ = card.accept()
        while True:
            head = c.recv(2)
            if len(head) < 2:
                return
            n = struct.unpack(">H", head)[0]
            payload = b""
            while len(payload) < n:
                payload += c.recv(n - len(payload))
            c.sendall(struct.pack(">H", 2) + b"\x90\x00")
    threading.Thread(target=card_loop, daemon=True).start()
    tap = ApduTap(tap_path, card_path)
    me = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    me.connect(tap_path)
    try:
        envelope = bytes.fromhex("80c2000003d10100")
        tap.hold(lambda c: c[:2] == b"\x80\xc2")
        me.sendall(struct.pack(">H", 5) + bytes.fromhex("80f2000000"))      # STATUS: not held
        wait_until(lambda: tap.commands(b"\x80\xf2"), 5, "STATUS answered",
                   until=lambda a: a and a[0]["rapdu"] == b"\x90\x00")
        me.sendall(struct.pack(">H", len(envelope)) + envelope)
        wait_until(lambda: tap.held, 5, "the ENVELOPE held")
        stays(lambda: tap.commands(b"\x80\xc2")[0]["rapdu"] is None, 0.3, "the held ENVELOPE not answered")
        tap.release()
        wait_until(lambda: tap.commands(b"\x80\xc2"), 5, "the ENVELOPE answered after release()",
                   until=lambda a: a[0]["rapdu"] == b"\x90\x00")
    finally:
        me.close()
        tap.close()
        card.close()
        for p in (card_path, tap_path):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(tmp)


# ---- the sources of the e2e tests ------------------------------------------------------------

def e2e_sources():
    for path in sorted(glob.glob(os.path.join(HERE, "*.py"))):
        with open(path, encoding="utf-8") as f:
            yield os.path.basename(path), ast.parse(f.read(), path)


def test_check_messages_are_literals_or_lambdas():
    bad = []
    for name, tree in e2e_sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "check" and len(node.args) > 1:
                msg = node.args[1]
                if not (isinstance(msg, ast.Lambda) or (isinstance(msg, ast.Constant) and isinstance(msg.value, str))):
                    bad.append("%s:%d" % (name, node.lineno))
    assert not bad, "check() messages neither a string literal nor a lambda: %s" % ", ".join(bad)


# modules that only drive and assert (the harness, taps and fakes pace their own loops)
PACED_BY_STATE = ("test-", "otaflow.py", "deferred_flow.py", "smspp_flow.py", "pcsc_env.py")


def test_no_bare_sleeps():
    bad = []
    for name, tree in e2e_sources():
        if not name.startswith(PACED_BY_STATE) or name == os.path.basename(__file__):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
                f = node.value.func
                fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
                if fname in ("sleep", "iterate"):
                    bad.append("%s:%d %s()" % (name, node.lineno, fname))
    assert not bad, "a sleep used as a wait (wait for a state, or stays() for a window): %s" % ", ".join(bad)


def main():
    tests = [(n, f) for n, f in sorted(globals().items()) if n.startswith("test_") and callable(f)]
    print("1..%d" % len(tests), flush=True)
    failed = 0
    for i, (name, fn) in enumerate(tests, 1):
        try:
            fn()
            print("ok %d - %s" % (i, name), flush=True)
        except Exception:
            failed += 1
            print("not ok %d - %s" % (i, name), flush=True)
            for line in traceback.format_exc().splitlines():
                print("# " + line, flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
