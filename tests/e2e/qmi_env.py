# SPDX-License-Identifier: GPL-2.0-or-later
"""The QMI variant of the e2e harness: modem-emu (doc/modem-emu.md) as the
modem behind the abstract socket "qmi-proxy", the plugin's Network=qmi
talking to it through libqmi.

A test calls enter_namespace() first: it runs the test again in private
mount, network and PID namespaces (harness.enter_namespaces()).  Abstract
unix sockets belong to a network namespace, so there modem-emu's
"qmi-proxy" is the one the plugin's libqmi reaches, and ofonod, started by
the Harness in the same namespace, finds it.  In that mount namespace
/usr/libexec/qmi-proxy is /bin/false: a libqmi client that finds nothing on
the socket (modem-emu killed and not back yet) starts qmi-proxy itself,
and the real one would take the socket from the restarted modem-emu; with
/bin/false the client's open fails and it tries again later, as it would
with no modem.

ModemEmu runs one modem-emu (by PID, through Harness.start_process) with
one or more modems: each a device node the test creates (mknod, a major
with no driver: libqmi checks the path is a character device), a SIM
(a uicc-emu card modem-emu starts itself) and a radio (a netsim peer).
"""

import json
import os
import re
import stat
import subprocess
import sys

from control import request_line
from harness import Harness, HarnessError, enter_namespaces, log, wait_socket, wait_until
from netsim_fake import FakeNetsim

NS_ENV = "STKBRIDGE_E2E_QMI_NS"
QMI_PROXY = "/usr/libexec/qmi-proxy"
SKIP = 77


def enter_namespace():
    """Re-runs this script inside private namespaces (returns inside them, qmi-proxy hidden)."""
    enter_namespaces(NS_ENV, tools=("nsenter",), skip_code=SKIP)
    if os.path.exists(QMI_PROXY):
        os.system("mount --bind /bin/false %s" % QMI_PROXY)


def qmicli(dev, *args):
    """Debian's qmicli through qmi-proxy (beside the plugin); its output."""
    r = subprocess.run(["qmicli", "-p", "--device-open-qmi", "-d", dev] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=30, text=True)
    out = "\n".join(l for l in r.stdout.splitlines() if "-Warning **" not in l)
    if r.returncode != 0:
        raise AssertionError("qmicli %s failed (%d):\n%s" % (" ".join(args), r.returncode, out))
    return out


def qmicli_read_result(out):
    """The bytes of the "Read result:" qmicli --uim-read-transparent / --uim-read-record prints."""
    m = re.search(r"Read result:\s*\n((?:\s*[0-9A-Fa-f:]+\s*\n?)+)", out)
    if not m:
        raise AssertionError("no read result in qmicli's output:\n%s" % out)
    return bytes.fromhex(re.sub(r"[\s:]", "", m.group(1)))


def run_with_fake_network(flow):
    """A test of argv PLUGIN_SO UICC_EMU MODEM_EMU: flow(h, net, uicc_emu, modem_emu) in a Harness, net a
    FakeNetsim for modem-emu's radio."""
    plugin, uicc_emu, modem_emu = sys.argv[1:4]
    net = FakeNetsim()
    try:
        with Harness(plugin, uicc_emu) as h:
            flow(h, net, uicc_emu, modem_emu)
    finally:
        net.close()


def modem_sim_ini(iccid, imsi, msisdn, smsc="+15550000"):
    """The modem's own SIM (no PIN: the firmware reads its identity at power-up)."""
    return """[card]
iccid=%s
imsi=%s
msisdn=%s
smsc=%s
spn=modem-sim

[keyset 1]
kic=15
kid=15
kic-key=00112233445566778899aabbccddeeff
kid-key=ffeeddccbbaa99887766554433221100
""" % (iccid, imsi, msisdn, smsc)


class ModemEmu:
    """modem-emu with modems [{"sim" (ini text: a SIM modem-emu starts itself) or "sim_sock" (a running
    uicc-emu's socket), "netsim" (unix:PATH or tcp:HOST:PORT), "opts" (more of --modem: "cat=off")}]."""

    def __init__(self, h, exe, uicc_emu, modems, name="modem-emu"):
        self.h = h
        self.exe = exe
        self.uicc_emu = uicc_emu
        self.name = name
        self.ctl = h.path(name + "-control.sock")
        self.run_dir = h.path(name + "-run")
        os.makedirs(self.run_dir, exist_ok=True)
        self.modems = []
        for i, m in enumerate(modems):
            dev = h.path("%s-cdc-wdm%d" % (name, i))
            if not os.path.exists(dev):
                os.mknod(dev, 0o600 | stat.S_IFCHR, os.makedev(4000, i))
            ini = None
            if "sim" in m:
                ini = h.path("%s-sim%d.ini" % (name, i))
                with open(ini, "w") as f:
                    f.write(m["sim"])
                os.chmod(ini, 0o600)
            self.modems.append(dict(m, dev=dev, ini=ini, state=h.path("%s-sim%d.state" % (name, i))))
        self.proc = None
        self.starts = 0

    def dev(self, i=0):
        return self.modems[i]["dev"]

    def start(self):
        """Starts modem-emu; returns once its control socket answers (the proxy socket listens)."""
        self.starts += 1
        argv = [self.exe, "-v", "--control", "unix:" + self.ctl, "--uicc-emu", self.uicc_emu,
                "--run-dir", self.run_dir]
        for m in self.modems:
            if m.get("sim_sock"):
                spec = "%s,sim=unix:%s" % (m["dev"], m["sim_sock"])
            else:
                spec = "%s,card=%s,state=%s" % (m["dev"], m["ini"], m["state"])
            if m.get("netsim"):
                spec += ",netsim=" + m["netsim"]
            if m.get("opts"):
                spec += "," + m["opts"]
            argv += ["--modem", spec]
        if os.path.exists(self.ctl):
            os.unlink(self.ctl)       # left by a modem-emu killed with -9
        label = self.name if self.starts == 1 else "%s-%d" % (self.name, self.starts)
        self.proc = self.h.start_process(label, argv)
        wait_socket(self.ctl, self.proc)
        return self.proc

    def kill9(self):
        self.proc.kill9()

    def stop(self):
        self.proc.stop()

    def control(self, line):
        """One control command (doc/modem-emu.md); its answer line (an "error: ..." raises)."""
        answer = request_line(self.ctl, line)
        if answer.startswith("error"):
            raise HarnessError("modem-emu control %r: %s" % (line, answer))
        return answer

    def status(self, i=0):
        return json.loads(self.control("status"))["modems"][i]

    def wait_status(self, i, member, value, timeout=30, pump=None):
        """Waits until modem i's status member reads value; returns the status."""
        def died():
            return None if self.proc.alive() else "modem-emu exited (status %s)" % self.proc.popen.returncode
        st = wait_until(lambda: self.status(i), timeout, "modem-emu modem %d: %s = %r" % (i, member, value),
                        until=lambda st: st.get(member) == value, pump=pump, abort=died)
        log("modem-emu modem %d: %s = %r" % (i, member, value))
        return st


__all__ = ["enter_namespace", "control", "modem_sim_ini", "qmicli", "qmicli_read_result", "run_with_fake_network",
           "ModemEmu", "NS_ENV"]
