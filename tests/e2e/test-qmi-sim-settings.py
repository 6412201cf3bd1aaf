#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Uicc=qmi: what a user sets on the modem's own SIM is on the card, through
the real ofonod, libqmi and modem-emu (UIM Write Record, raw: libqmi 1.32
has no call for it; doc/qmi.md).  In private namespaces (qmi_env.py).

  1. MessageManager.ServiceCenterAddress read from the card (EF_SMSP record
     1, as the SIM's config says), then set: the plugin's sms atom writes
     record 1 through UIM Write Record; qmicli, beside the plugin through
     qmi-proxy, reads record 1 of EF_SMSP and finds the address in it
     (TS 31.102 §4.2.27: TS-Service Centre Address at bytes Y+13..Y+24);
  2. ofonod stopped and modem-emu killed with -9 and started again (the SIM
     from uicc-emu's state file), ofonod again: the address read back from
     the card is the one set, and qmicli reads it in the record again.

usage: test-qmi-sim-settings.py PLUGIN_SO UICC_EMU MODEM_EMU
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import (ModemEmu, enter_namespace, modem_sim_ini, qmicli, qmicli_read_result,  # noqa: E402
                     run_with_fake_network)

enter_namespace()

from harness import check, log, main_wrapper  # noqa: E402

IMSI = "001010000000951"
SMSC = "+15550000"
SCA = "+447700900123"
SIM = modem_sim_ini("89882390000000000951", IMSI, "+15550951", SMSC)


def qmicli_smsp_record1(dev):
    """Record 1 of EF_SMSP (3F00/7FFF/6F42) as qmicli --uim-read-record reads it through qmi-proxy (bytes)."""
    return qmicli_read_result(qmicli(dev, "--uim-read-record=record-number=1,record-length=0,"
                                          "file=0x3F00-0x7FFF-0x6F42"))


def smsp_sca(rec):
    """The service centre address of an EF_SMSP record (TS 31.102 §4.2.27; TS 24.008 §10.5.4.7 BCD), or None."""
    y = len(rec) - 28
    if rec[y] & 0x02:
        return None                      # parameter indicator b2 set: no TS-Service Centre Address
    sc = rec[y + 13:y + 25]
    n = sc[0]
    digits = "".join("%x%x" % (b & 0x0F, b >> 4) for b in sc[2:1 + n]).rstrip("f")
    return ("+" if sc[1] & 0x70 == 0x10 else "") + digits


def flow(h, net, uicc_emu, modem_emu):
    h.start_bus()
    emu = ModemEmu(h, modem_emu, uicc_emu, [{"sim": SIM, "netsim": "tcp:127.0.0.1:%d" % net.port}])
    emu.start()
    dev = emu.dev(0)
    conf = "[modem0]\nUicc=qmi:%s\nNetwork=qmi:%s\n" % (dev, dev)
    path = "/modem0"
    mm = lambda: h.props(path, "org.ofono.MessageManager")  # noqa: E731
    sca = lambda: str(mm().get("ServiceCenterAddress", ""))  # noqa: E731

    def sim_and_sms_up(what):
        h.start_ofonod(conf)
        h.wait_for(lambda: path in h.modems(), 30, "modem0 (%s)" % what)
        h.power_up(path)
        check(h.sim_ready(path, None, timeout=60) == IMSI, lambda: "SIM ready through QMI UIM (%s)" % what)
        h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager (%s)" % what)

    # ---- 1: the address set, on the card -------------------------------------------------------------------
    sim_and_sms_up("first start")
    before = h.wait_for(sca, 30, "ServiceCenterAddress read from the card")
    check(before == SMSC, lambda: "ServiceCenterAddress %s read from EF_SMSP through UIM Read Record" % before)
    h.set_prop(path, "org.ofono.MessageManager", "ServiceCenterAddress", SCA)
    h.wait_for(sca, 30, "ServiceCenterAddress %s" % SCA, until=lambda got: got == SCA)
    writes = [l for l in emu.proc.log_text().splitlines() if "Write Record" in l]
    log("modem-emu: %s" % writes)
    rec = qmicli_smsp_record1(dev)
    check(smsp_sca(rec) == SCA, lambda: "qmicli reads EF_SMSP record 1 with the address set: %s (%s)" %
          (smsp_sca(rec), rec.hex()))
    check(len(writes) >= 1, lambda: "the write went as UIM Write Record (modem-emu's log: %d)" % len(writes))

    # ---- 2: ofonod and the modem (its SIM) restarted --------------------------------------------------------
    h.stop_ofonod()
    emu.kill9()
    emu.start()
    emu.wait_status(0, "sim", "ready", timeout=60)
    sim_and_sms_up("after the restarts")
    after = h.wait_for(sca, 30, "ServiceCenterAddress read back from the card after the restarts")
    check(after == SCA, lambda: "ServiceCenterAddress %s read back from the card after ofonod and modem-emu "
          "(kill -9) restarted" % after)
    rec = qmicli_smsp_record1(dev)
    check(smsp_sca(rec) == SCA, lambda: "qmicli reads EF_SMSP record 1 after the restarts: %s" % smsp_sca(rec))


if __name__ == "__main__":
    main_wrapper(lambda: run_with_fake_network(flow))
