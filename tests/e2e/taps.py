# SPDX-License-Identifier: GPL-2.0-or-later
"""Recording proxies for the two links of the stkbridge modem, so that an
end-to-end test can assert on the bytes that really travelled:

  - NetsimTap: between the plugin's netsim backend and ota-test-server
    (doc/netsim.md framing: 4-byte big-endian length, type, body).  Every
    frame is recorded with its direction, the connection's ICCID (from its
    HELLO) and the time.
  - ApduTap: between the plugin's emu UICC backend and uicc-emu
    (doc/uicc-transport.md framing: 2-byte big-endian length, payload).
    Every command APDU is recorded with its response (data + SW).

Each tap listens on a unix socket in the test's temp dir; for each accepted
connection it opens one to the real daemon and copies frames both ways in
two threads.  When either side closes, the other side is closed too (so a
uicc-emu killed with -9 looks, to the plugin, exactly as without the tap).
If the daemon is not there, the accepted connection is closed at once.
"""

import os
import socket
import struct
import threading
import time

# netsim frame types (lib/simota/netsim.h)
HELLO, DELIVER, DELIVER_REPORT, SUBMIT, PING = 0x01, 0x02, 0x03, 0x04, 0x05
HELLO_ACK, SUBMIT_REPORT, PONG, ERROR = 0x81, 0x84, 0x85, 0x7F
TO_DEVICE, FROM_DEVICE = "down", "up"


def _recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        try:
            chunk = sock.recv(n - len(buf))
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
    return buf


class _Tap:
    """Accepts on listen_path, connects each client to upstream_path."""

    header = ">I"

    def __init__(self, listen_path, upstream_path):
        self.listen_path = listen_path
        self.upstream_path = upstream_path
        self.lock = threading.Lock()
        self.connections = 0
        self.refused = 0
        self._stop = False
        self._socks = []
        if os.path.exists(listen_path):
            os.unlink(listen_path)
        self.lsock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.lsock.bind(listen_path)
        os.chmod(listen_path, 0o600)
        self.lsock.listen(8)
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def _accept_loop(self):
        while not self._stop:
            try:
                client, _ = self.lsock.accept()
            except OSError:
                return
            up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                up.connect(self.upstream_path)
            except OSError:
                self.refused += 1
                up.close()
                client.close()
                continue
            with self.lock:
                self.connections += 1
                conn = self.connections
                self._socks += [client, up]
            self.opened(conn)
            pair = (client, up)
            threading.Thread(target=self._pump, args=(client, up, True, conn, pair), daemon=True).start()
            threading.Thread(target=self._pump, args=(up, client, False, conn, pair), daemon=True).start()

    def _pump(self, src, dst, from_client, conn, pair):
        hlen = struct.calcsize(self.header)
        while True:
            head = _recv_exact(src, hlen)
            if head is None:
                break
            n = struct.unpack(self.header, head)[0]
            payload = _recv_exact(src, n) if n else b""
            if payload is None:
                break
            self.frame(conn, from_client, payload)
            self.gate(from_client, payload)
            try:
                dst.sendall(head + payload)
            except OSError:
                break
        for s in pair:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def release(self):
        pass

    def opened(self, conn):
        pass

    def gate(self, from_client, payload):
        """Called before a recorded frame goes on; may block it (ApduTap.hold)."""

    def frame(self, conn, from_client, payload):
        raise NotImplementedError

    def close(self):
        self._stop = True
        self.release()
        try:
            self.lsock.close()
        except OSError:
            pass
        for s in self._socks:
            try:
                s.close()
            except OSError:
                pass
        if os.path.exists(self.listen_path):
            os.unlink(self.listen_path)


class NetsimTap(_Tap):
    """frames: list of dicts {t, conn, dir, type, iccid, id, rp, cause, tpdu}."""

    header = ">I"

    def __init__(self, listen_path, upstream_path):
        self.frames = []
        self.iccid_of = {}
        super().__init__(listen_path, upstream_path)

    def frame(self, conn, from_client, payload):
        ftype, body = payload[0], payload[1:]
        f = {"t": time.time(), "conn": conn, "dir": FROM_DEVICE if from_client else TO_DEVICE,
             "type": ftype}
        if ftype == HELLO:
            n = body[1]
            self.iccid_of[conn] = body[2:2 + n].decode()
        elif ftype in (DELIVER, SUBMIT, PING, PONG) and len(body) >= 4:
            f["id"] = struct.unpack(">I", body[:4])[0]
            f["tpdu"] = bytes(body[4:])
        elif ftype in (DELIVER_REPORT, SUBMIT_REPORT) and len(body) >= 6:
            f["id"], f["rp"], f["cause"] = struct.unpack(">IBB", body[:6])
            f["tpdu"] = bytes(body[6:])
        f["iccid"] = self.iccid_of.get(conn)
        with self.lock:
            self.frames.append(f)

    def of(self, iccid, ftype=None, direction=None):
        with self.lock:
            return [f for f in self.frames if f["iccid"] == iccid and
                    (ftype is None or f["type"] == ftype) and (direction is None or f["dir"] == direction)]


class ApduTap(_Tap):
    """apdus: list of dicts {t, conn, capdu, rapdu (data + SW) or None, rt (time of the response)}."""

    header = ">H"

    HOLD_MAX = 120.0              # a held APDU goes on after this even if the test never released it

    def __init__(self, listen_path, upstream_path):
        self.apdus = []
        self._waiting = {}        # conn -> list of pending request records (None = ATR request)
        self._hold = None
        self._released = threading.Event()
        self.held = []            # command APDUs that were held
        super().__init__(listen_path, upstream_path)

    def hold(self, match):
        """From now on, a command APDU for which match(capdu) is true is recorded but waits in the
        tap until release(): the card cannot see it before the test has read the state the card
        must be in first (e.g. R1 in its state file before a C2 ENVELOPE can fetch and release it)."""
        with self.lock:
            self._hold = match
            self._released.clear()

    def release(self):
        """Lets held APDUs (and later ones) go on to the card."""
        with self.lock:
            self._hold = None
        self._released.set()

    def gate(self, from_client, payload):
        if not from_client or len(payload) < 2:
            return
        with self.lock:
            match = self._hold
        if match is not None and match(bytes(payload)):
            with self.lock:
                self.held.append(bytes(payload[:5]))
            self._released.wait(self.HOLD_MAX)

    def frame(self, conn, from_client, payload):
        with self.lock:
            pending = self._waiting.setdefault(conn, [])
            if from_client:
                if len(payload) >= 2:
                    rec = {"t": time.time(), "conn": conn, "capdu": bytes(payload), "rapdu": None}
                    self.apdus.append(rec)
                    pending.append(rec)
                elif payload == b"\x04":
                    pending.append(None)      # the ATR comes back, nothing to record
            elif pending:
                rec = pending.pop(0)
                if rec is not None:
                    rec["rapdu"] = bytes(payload)
                    rec["rt"] = time.time()

    def commands(self, cla_ins):
        """APDUs whose first two bytes are cla_ins (e.g. b"\\x80\\x14": TERMINAL RESPONSE)."""
        with self.lock:
            return [a for a in self.apdus if a["capdu"][:2] == cla_ins]
