# SPDX-License-Identifier: GPL-2.0-or-later
"""The PC/SC variant of the e2e harness: real pcscd with vsmartcard-vpcd.

A test calls enter_namespace() first: it runs the test again inside
`unshare --mount --net --pid` (loopback only, so vpcd's ports 35963... are
ours; the PID namespace kills whatever is left when the test ends).  Then
PcscHarness (a Harness) adds:

  - start_pcscd(): a tmpfs over /run/pcscd (pcscd.comm; the host's pcscd is
    never seen), a private reader.conf.d with vpcd only, and
    `pcscd --foreground`; vpcd offers readers "Virtual PCD 00 00",
    "Virtual PCD 00 01", ... on TCP ports 35963, 35964, ...;
  - start_vpcd_card(name, slot): uicc-emu serving the card both on its unix
    socket and to vpcd slot `slot` (the card is "inserted" while that link
    is up; stopping uicc-emu removes it);
  - stop_pcscd() / start_pcscd() again for the restart tests.

ofonod, started by the Harness inside its own `unshare -m`, inherits the
private /run/pcscd and the network namespace, so `Uicc=pcsc:Virtual PCD 00 00`
reaches this pcscd.  Never use vpcd's reversed mode (it crashes bookworm's
pcscd).
"""

import os
import shutil
import subprocess
import sys

from harness import Harness, HarnessError, enter_namespaces, log, wait_socket

VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
PCSCD_COMM = "/run/pcscd/pcscd.comm"
VPCD_BASE_PORT = 35963
NS_ENV = "STKBRIDGE_E2E_PCSC_NS"
SKIP = 77


def reader_name(slot):
    return "Virtual PCD 00 %02d" % slot


def skip(why):
    print("1..0 # SKIP %s" % why, flush=True)
    sys.exit(SKIP)


def enter_namespace():
    """Re-runs this script inside private mount, network and PID namespaces (returns inside them)."""
    if os.environ.get(NS_ENV) != "1" and not os.path.exists(VPCD_DRIVER):
        skip("vsmartcard-vpcd not installed (%s)" % VPCD_DRIVER)
    enter_namespaces(NS_ENV, tools=("pcscd",), skip_code=SKIP)


class PcscHarness(Harness):
    def __init__(self, plugin, uicc_emu=None, keep=False):
        super().__init__(plugin, uicc_emu, keep)
        if os.environ.get(NS_ENV) != "1":
            raise HarnessError("PcscHarness outside enter_namespace()")
        self.pcscd = None
        self.pcscd_runs = 0
        self._tmpfs = False

    def start_pcscd(self):
        if not self._tmpfs:
            os.makedirs("/run/pcscd", exist_ok=True)
            subprocess.run(["mount", "-t", "tmpfs", "tmpfs", "/run/pcscd"], check=True)
            confd = self.path("reader.conf.d")
            os.makedirs(confd, exist_ok=True)
            with open(os.path.join(confd, "vpcd"), "w") as f:
                # as vsmartcard-vpcd's /etc/reader.conf.d/vpcd: readers 00 00, 00 01, ... on 35963, 35964, ...
                f.write('FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x8C7B\n'
                        'LIBPATH      %s\nCHANNELID    0x8C7B\n' % VPCD_DRIVER)
            self._tmpfs = True
        self.pcscd_runs += 1
        name = "pcscd" if self.pcscd_runs == 1 else "pcscd-%d" % self.pcscd_runs
        self.pcscd = self.start_process(name, ["pcscd", "--foreground", "--info", "--config",
                                               self.path("reader.conf.d")])
        self.wait_for(lambda: "daemon ready" in self.pcscd.log_text(), 30, "pcscd ready")
        # pcsc-lite logs "daemon ready" before its run loop creates pcscd.comm
        wait_socket(PCSCD_COMM, self.pcscd, 30)
        return self.pcscd

    def stop_pcscd(self, kill9=False):
        if kill9:
            self.pcscd.kill9()
        else:
            self.pcscd.stop()
        # pcscd.comm stays behind after a kill -9; the next pcscd replaces it

    def start_vpcd_card(self, name, config_path=None, slot=0, verbose=True, config_text=None):
        """uicc-emu with the card on TMP/NAME.sock and in vpcd reader `slot`; returns the reader name."""
        argv, files = self.uicc_emu_argv(name, config_text, config_path, verbose,
                                         ["--vpcd", "127.0.0.1:%d" % (VPCD_BASE_PORT + slot)])
        p = self.start_process("uicc-emu-" + name, argv)
        self.cards[name] = dict(files, proc=p, slot=slot)
        return reader_name(slot)

    def restart_vpcd_card(self, name):
        c = self.cards[name]
        return self.start_vpcd_card(name, slot=c["slot"])


__all__ = ["PcscHarness", "enter_namespace", "reader_name", "log"]
