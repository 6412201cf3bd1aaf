# SPDX-License-Identifier: GPL-2.0-or-later
"""A fault-injecting card link for the robustness tests.

CardProxy sits between a reader and a real card (uicc-emu's unix socket) and
speaks the real framing on both sides (doc/uicc-transport.md: a 2-byte
big-endian length, then a payload; 1-byte control payloads 00 off, 01 on,
02 reset, 04 get ATR; anything longer is a command APDU).  The reader side is
either vpcd (the proxy connects to vpcd's port like a card: the card is "in"
the reader while that link is up) or the plugin's emu backend (the proxy
listens on a unix socket).

Faults are set by the test at any time (proxy.fault = fn): fn(apdu) returns
None (pass through) or one of
  ("stall",)            never answer until proxy.release() (then the real answer goes, late)
  ("answer", bytes)     answer these bytes instead of asking the card
  ("rewrite", fn)       ask the card, answer fn(response)
The proxy counts the APDUs it saw by INS (proxy.seen).
"""

import os
import socket
import struct
import threading
import time

from harness import log

CTRL_GET_ATR = 0x04


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise EOFError("link closed")
        buf += chunk
    return buf


def recv_frame(sock):
    (n,) = struct.unpack(">H", recv_exact(sock, 2))
    return recv_exact(sock, n) if n else b""


def send_frame(sock, payload):
    sock.sendall(struct.pack(">H", len(payload)) + payload)


class CardProxy:
    def __init__(self, card_sock, vpcd_port=None, listen_path=None, name="proxy"):
        self.card_sock = card_sock
        self.vpcd_port = vpcd_port
        self.listen_path = listen_path
        self.name = name
        self.fault = None
        self.seen = {}
        self.lock = threading.Lock()
        self._release = threading.Event()
        self._stop = False
        self._linked = False          # vpcd: the card is in the reader
        self._down = None             # the reader-side socket of the current link
        self.stalled = threading.Event()
        self.links = 0
        if listen_path:
            if os.path.exists(listen_path):
                os.unlink(listen_path)
            self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self._server.bind(listen_path)
            self._server.listen(4)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    # ---- test controls -----------------------------------------------------------

    def release(self):
        """Lets a stalled APDU be answered (late)."""
        self._release.set()

    def eject(self, seconds=None):
        """Takes the card out of the reader (drops the reader link); back after seconds (None: at once)."""
        self._linked = False
        if self.stalled.is_set():
            self._release.set()
        down = self._down
        if down is not None:
            try:
                down.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._pause_until = time.monotonic() + (seconds or 0)

    def count(self, ins):
        with self.lock:
            return self.seen.get(ins, 0)

    def close(self):
        self._stop = True
        self._release.set()
        self.eject()
        if self.listen_path:
            try:
                self._server.close()
            except OSError:
                pass

    # ---- the relay ---------------------------------------------------------------

    _pause_until = 0

    def _run(self):
        while not self._stop:
            try:
                if self.vpcd_port is not None:
                    if time.monotonic() < self._pause_until:
                        time.sleep(0.05)
                        continue
                    down = socket.create_connection(("127.0.0.1", self.vpcd_port), timeout=2)
                else:
                    down, _ = self._server.accept()
                down.settimeout(None)
            except OSError:
                time.sleep(0.2)
                continue
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                up.connect(self.card_sock)
            except OSError as e:
                log("%s: card socket: %s" % (self.name, e))
                down.close()
                up.close()
                time.sleep(0.2)
                continue
            self._down = down
            self._linked = True
            self.links += 1
            try:
                self._relay(down, up)
            except (EOFError, OSError):
                pass
            finally:
                self._linked = False
                self._down = None
                down.close()
                up.close()

    def exchange(self, up, apdu):
        """One command APDU to the card, its response back; a subclass may act as the card."""
        send_frame(up, apdu)
        return recv_frame(up)

    def _relay(self, down, up):
        while not self._stop:
            frame = recv_frame(down)
            if len(frame) == 1:
                send_frame(up, frame)
                if frame[0] == CTRL_GET_ATR:
                    send_frame(down, recv_frame(up))
                continue
            ins = frame[1] if len(frame) >= 2 else None
            with self.lock:
                self.seen[ins] = self.seen.get(ins, 0) + 1
            action = self.fault(frame) if self.fault else None
            if action and action[0] == "answer":
                send_frame(down, action[1])
                continue
            if action and action[0] == "stall":
                log("%s: APDU %s stalled" % (self.name, frame[:5].hex()))
                self.stalled.set()
                self._release.wait()
                self._release.clear()
                self.stalled.clear()
                if self._stop:
                    return
                log("%s: APDU %s answered late" % (self.name, frame[:5].hex()))
            resp = self.exchange(up, frame)
            if action and action[0] == "rewrite":
                resp = action[1](resp)
            send_frame(down, resp)
