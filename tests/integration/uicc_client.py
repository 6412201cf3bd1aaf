# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the uicc-emu integration tests: a frame client for the card's
unix socket (doc/uicc-transport.md) and processes started and stopped by PID."""

import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

USIM_RID_APP = bytes.fromhex("a0000000871002")


class Card:
    """A reader on the card's unix socket: 2-byte big-endian length frames."""

    def __init__(self, path, timeout=30.0):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)

    def close(self):
        self.sock.close()

    def _recv(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise EOFError("card closed the link")
            buf += chunk
        return buf

    def send_frame(self, payload):
        self.sock.sendall(struct.pack(">H", len(payload)) + payload)

    def recv_frame(self):
        (n,) = struct.unpack(">H", self._recv(2))
        return self._recv(n)

    def power_off(self):
        self.send_frame(b"\x00")

    def power_on(self):
        self.send_frame(b"\x01")

    def reset(self):
        self.send_frame(b"\x02")

    def atr(self):
        self.send_frame(b"\x04")
        return self.recv_frame()

    def apdu(self, hexstr):
        """One exchange; returns (data, sw) with sw an int."""
        self.send_frame(bytes.fromhex(hexstr))
        r = self.recv_frame()
        if len(r) < 2:
            raise AssertionError("response of %d bytes" % len(r))
        return r[:-2], (r[-2] << 8) | r[-1]

    def tx(self, hexstr):
        """An exchange as an ME does it (T=0): follows 61XX and 6CXX."""
        cmd = bytes.fromhex(hexstr)
        for _ in range(4):
            data, sw = self.apdu(cmd.hex())
            if sw >> 8 == 0x61:
                cmd = bytes([cmd[0], 0xC0, 0, 0, sw & 0xFF])
                continue
            if sw >> 8 == 0x6C:
                cmd = cmd[:-1] + bytes([sw & 0xFF])
                continue
            return data, sw
        raise AssertionError("too many 61XX/6CXX rounds")


def expect(got, want, what):
    if got != want:
        raise AssertionError("%s: got %r, expected %r" % (what, got, want))


def expect_sw(result, want, what):
    data, sw = result
    if sw != want:
        raise AssertionError("%s: SW %04x, expected %04x" % (what, sw, want))
    return data


def tlv_find(buf, tag):
    """Flat BER-TLV search (one-byte tags)."""
    i = 0
    while i + 2 <= len(buf):
        t, n, h = buf[i], buf[i + 1], 2
        if n == 0x81:
            n, h = buf[i + 2], 3
        if t == tag:
            return buf[i + h:i + h + n]
        i += h + n
    return None


def usim_aid(card):
    """The USIM's AID from EF_DIR record 1 (TS 102 221 §13.1)."""
    expect_sw(card.tx("00a4000c023f00"), 0x9000, "SELECT MF")
    expect_sw(card.tx("00a4000c022f00"), 0x9000, "SELECT EF_DIR")
    rec = expect_sw(card.tx("00b2010400"), 0x9000, "READ RECORD EF_DIR 1")
    app = tlv_find(rec, 0x61)
    aid = tlv_find(app, 0x4F) if app else None
    if not aid or not aid.startswith(USIM_RID_APP):
        raise AssertionError("EF_DIR record 1 has no USIM AID: %s" % rec.hex())
    return aid


def select_usim(card):
    aid = usim_aid(card)
    fcp = expect_sw(card.tx("00a40404%02x%s" % (len(aid), aid.hex())), 0x9000, "SELECT ADF.USIM")
    expect(fcp[:1], b"\x62", "ADF.USIM FCP tag")
    return aid


def encode_imsi(imsi):
    """EF_IMSI (TS 31.102 §4.2.2)."""
    nibbles = [9 if len(imsi) % 2 else 1] + [int(d) for d in imsi]
    if len(nibbles) % 2:
        nibbles.append(0xF)
    body = bytes((nibbles[i + 1] << 4) | nibbles[i] for i in range(0, len(nibbles), 2))
    return bytes([len(body)]) + body + b"\xff" * (8 - len(body))


class Processes:
    """Every process a test starts, killed by PID at the end, even on failure."""

    def __init__(self):
        self.procs = []

    def start(self, args, **kw):
        p = subprocess.Popen(args, **kw)
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=30):
        if p.poll() is None:
            p.send_signal(sig)
        try:
            return p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            return p.wait()

    def cleanup(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                p.kill()
                p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.cleanup()
        return False



class DaemonLogs:
    """Where the daemons a test starts write, a file each (prefix-PID-N.log in the temp dir):
    the last two shown when the test fails, all removed at its end."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.paths = []

    def start(self, procs, args):
        """procs.start(args) with stdout and stderr to a new log file."""
        path = os.path.join(tempfile.gettempdir(), "%s-%d-%d.log" % (self.prefix, os.getpid(), len(self.paths)))
        self.paths.append(path)
        with open(path, "w") as out:
            return procs.start(args, stdout=out, stderr=subprocess.STDOUT)

    def run(self, body):
        """body(tmp) with a fresh temp dir (removed after); "all ok" when it returns."""
        tmp = tempfile.mkdtemp(prefix=self.prefix + "-")
        try:
            body(tmp)
        except BaseException:
            for path in self.paths[-2:]:
                with open(path) as f:
                    print("---- %s ----\n%s" % (path, f.read()[-4000:]), flush=True)
            raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
            for path in self.paths:
                if os.path.exists(path):
                    os.unlink(path)
        log("all ok")

def wait_for(pred, timeout, what, proc=None):
    """Polls pred() until it is true (the state waited for); fails at once if proc exited,
    else after timeout naming the last value pred() read."""
    end = time.monotonic() + timeout
    last = None
    while True:
        last = pred()
        if last:
            return last
        if proc is not None and proc.poll() is not None:
            raise AssertionError("%s: process exited with %s" % (what, proc.returncode))
        if time.monotonic() >= end:
            raise AssertionError("%s: not after %.0f s (last read: %r)" % (what, timeout, last))
        time.sleep(0.05)


def wait_socket(path, proc, timeout=30):
    """Waits until the daemon accepts on path (connects once and closes)."""
    def up():
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.close()
            return True
        except OSError:
            return False
    wait_for(up, timeout, "socket " + path, proc)


def log(msg):
    print(msg, flush=True)
    sys.stdout.flush()


def private_copy(src, dst, replace=None, without_menu=False):
    """A copy of a card config, mode 0600 (it holds keys); without_menu drops its [menu] and
    [menu-item N] groups (no SET UP MENU waiting for FETCH after the TERMINAL PROFILE)."""
    with open(src) as f:
        text = f.read()
    for old, new in (replace or {}).items():
        text = text.replace(old, new)
    if without_menu:
        kept, in_menu = [], False
        for line in text.splitlines(True):
            if line.lstrip().startswith("["):
                in_menu = line.lstrip().startswith("[menu")
            if not in_menu:
                kept.append(line)
        text = "".join(kept)
    fd = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return dst
