# SPDX-License-Identifier: GPL-2.0-or-later
"""A scripted stand-in for ota-test-server's netsim link (doc/netsim.md,
lib/simota/netsim.h), to test the plugin's device side alone:
the test pushes DELIVERs and reads what the device sends back.

Frames: 4-byte big-endian length (type + body), type, body.  One device
connection at a time; a reader thread puts decoded frames on a queue.
"""

import queue
import socket
import struct
import threading
import time

from harness import shown, wait_until

HELLO, DELIVER, DELIVER_REPORT, SUBMIT, PING = 0x01, 0x02, 0x03, 0x04, 0x05
HELLO_ACK, SUBMIT_REPORT, PONG, ERROR = 0x81, 0x84, 0x85, 0x7F


def frame(ftype, body):
    return struct.pack(">IB", len(body) + 1, ftype) + body


def decode(ftype, body):
    f = {"type": ftype}
    if ftype == HELLO:
        f["version"] = body[0]
        n = body[1]
        f["iccid"] = body[2:2 + n].decode()
        m = body[2 + n]
        f["msisdn"] = body[3 + n:3 + n + m].decode()
    elif ftype in (DELIVER_REPORT, SUBMIT_REPORT):
        f["id"], f["rp"], f["cause"] = struct.unpack(">IBB", body[:6])
        f["tpdu"] = bytes(body[6:])
    elif ftype in (DELIVER, SUBMIT):
        f["id"] = struct.unpack(">I", body[:4])[0]
        f["tpdu"] = bytes(body[4:])
    elif ftype in (PING, PONG):
        f["id"] = struct.unpack(">I", body[:4])[0]
    else:
        f["raw"] = bytes(body)
    return f


class FakeNetsim:
    def __init__(self):
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(4)
        self.port = self.lsock.getsockname()[1]
        self.frames = queue.Queue()
        self.conn = None
        self.connections = 0
        self.hellos = []
        self.auto_submit_report = True
        self.submits = []
        self._stop = False
        self.accepting = True
        self.refused = 0
        self._next_id = 100
        self.thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.thread.start()

    def _accept_loop(self):
        while not self._stop:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            if not self.accepting:
                self.refused += 1
                c.close()           # "server down": the device must keep retrying
                continue
            self.conn = c
            self.connections += 1
            self._read_loop(c)

    def _read_loop(self, c):
        buf = b""
        while not self._stop:
            try:
                data = c.recv(4096)
            except OSError:
                break
            if not data:
                break
            buf += data
            while len(buf) >= 5:
                n = struct.unpack(">I", buf[:4])[0]
                if len(buf) < 4 + n:
                    break
                ftype, body = buf[4], buf[5:4 + n]
                buf = buf[4 + n:]
                f = decode(ftype, body)
                if ftype == HELLO:
                    self.hellos.append(f)
                    self._send(c, frame(HELLO_ACK, bytes([1, 0])))
                elif ftype == PING:
                    self._send(c, frame(PONG, body))
                elif ftype == SUBMIT:
                    self.submits.append(f)
                    if self.auto_submit_report:
                        self._send(c, frame(SUBMIT_REPORT, struct.pack(">IBB", f["id"], 0, 0)))
                self.frames.put(f)
        try:
            c.close()
        except OSError:
            pass
        if self.conn is c:
            self.conn = None

    def _send(self, c, data):
        try:
            c.sendall(data)
        except OSError:
            pass

    def wait_connected(self, timeout=30):
        """The device's last HELLO, once it is connected and said one."""
        wait_until(lambda: self.conn is not None and self.hellos, timeout, "the device to connect and say HELLO",
                   interval=0.02)
        return self.hellos[-1]

    def deliver(self, tpdu):
        """Sends an SMS-DELIVER TPDU; returns its id."""
        self._next_id += 1
        self._send(self.conn, frame(DELIVER, struct.pack(">I", self._next_id) + tpdu))
        return self._next_id

    def expect(self, ftype, timeout, pump=None, match=None):
        """Next frame of ftype (others are kept aside); pump() runs the caller's main loop."""
        end = time.monotonic() + timeout
        aside = []
        try:
            while time.monotonic() < end:
                try:
                    f = self.frames.get(timeout=0.02)
                except queue.Empty:
                    if pump:
                        pump()
                    continue
                if f["type"] == ftype and (match is None or match(f)):
                    return f
                aside.append(f)
        finally:
            for f in aside:
                self.frames.put(f)
        raise AssertionError("no frame of type 0x%02x%s from the device in %.0f s; frames meanwhile: %s" %
                             (ftype, " (matching)" if match else "", timeout,
                              shown([(f.get("type"), f.get("id")) for f in aside])))

    def report_submit(self, sid, rp=0, cause=0, tpdu=b""):
        self._send(self.conn, frame(SUBMIT_REPORT, struct.pack(">IBB", sid, rp, cause) + tpdu))

    def drop(self):
        """Closes the device's connection (the device must reconnect)."""
        c = self.conn
        if c is not None:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self._stop = True
        self.drop()
        self.lsock.close()


def sms_deliver(packet, oa_digits="15550000", pid=0x7F, dcs=0xF6, udh=b"\x02\x70\x00"):
    """An SMS-DELIVER (TS 23.040 §9.2.2.1) carrying a secured command packet (TS 31.115 §4)."""
    digits = oa_digits
    bcd = bytearray()
    d = digits + ("F" if len(digits) % 2 else "")
    for i in range(0, len(d), 2):
        bcd.append(int(d[i + 1], 16) << 4 | int(d[i], 16))
    oa = bytes([len(digits), 0x91]) + bytes(bcd)
    scts = bytes.fromhex("52107011000000")
    ud = udh + packet
    first = 0x40 | 0x04 if udh else 0x04     # TP-UDHI, TP-MMS (no more messages)
    return bytes([first]) + oa + bytes([pid, dcs]) + scts + bytes([len(ud)]) + ud
