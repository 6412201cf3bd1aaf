# SPDX-License-Identifier: GPL-2.0-or-later
"""The control sockets of the tests' simulators (modem-emu, the test SMSC): one line
written to a unix socket, one line read back."""

import socket


def request_line(path, line, timeout=10):
    """Sends line (without its newline) on the unix socket at path; returns the answer line."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            data = s.recv(65536)
            if not data:
                break
            buf += data
    finally:
        s.close()
    return buf.decode().strip()
