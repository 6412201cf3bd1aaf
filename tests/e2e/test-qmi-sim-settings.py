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
     SimManager.SubscriberNumbers set: oFono's sim core writes EF_MSISDN
     through the plugin's sim atom (write_file_linear), qmicli reads the
     number in its record 1 (TS 31.102 §4.2.26);
  2. ofonod stopped and modem-emu killed with -9 and started again (the SIM
     from uicc-emu's state file), ofonod again: the address and the number
     read back from the card are the ones set, and qmicli reads them in
     the records again;
  3. a second modem whose firmware has no Write Transparent / Record
     (modem-emu uim-writes=off: InvalidQmiCommand, not in Get Supported
     Messages): SubscriberNumbers set fails, the card keeps its number,
     and the SIM stays (no reconnection, still ready).

usage: test-qmi-sim-settings.py PLUGIN_SO UICC_EMU MODEM_EMU
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import (ModemEmu, enter_namespace, modem_sim_ini, qmicli, qmicli_read_result,  # noqa: E402
                     run_with_fake_network)

enter_namespace()

import dbus  # noqa: E402
from harness import check, log, main_wrapper  # noqa: E402

IMSI = "001010000000951"
MSISDN = "+15550951"
SMSC = "+15550000"
SCA = "+447700900123"
NUMBER = "+15550999"
SIM = modem_sim_ini("89882390000000000951", IMSI, MSISDN, SMSC)
IMSI_NO_WRITES = "001010000000952"
MSISDN_NO_WRITES = "+15550952"
SIM_NO_WRITES = modem_sim_ini("89882390000000000952", IMSI_NO_WRITES, MSISDN_NO_WRITES)


def qmicli_record1(dev, fid):
    """Record 1 of ADF.USIM's EF fid as qmicli --uim-read-record reads it through qmi-proxy (bytes)."""
    return qmicli_read_result(qmicli(dev, "--uim-read-record=record-number=1,record-length=0,"
                                          "file=0x3F00-0x7FFF-0x%04X" % fid))


def bcd_number(b):
    """A number as TS 31.102 stores it: length of what follows, TON/NPI, BCD digits (TS 24.008 §10.5.4.7)."""
    if b[0] in (0, 0xFF):
        return None
    digits = "".join("%x%x" % (x & 0x0F, x >> 4) for x in b[2:1 + b[0]]).rstrip("f")
    return ("+" if b[1] & 0x70 == 0x10 else "") + digits


def smsp_sca(rec):
    """The service centre address of an EF_SMSP record (TS 31.102 §4.2.27: alpha id Y, then 28 bytes), or None."""
    y = len(rec) - 28
    if rec[y] & 0x02:
        return None                      # parameter indicator b2 set: no TS-Service Centre Address
    return bcd_number(rec[y + 13:y + 25])


def msisdn_number(rec):
    """The number of an EF_MSISDN record (TS 31.102 §4.2.26: alpha id Y, then the number at Y+1..Y+12), or None."""
    return bcd_number(rec[len(rec) - 14:len(rec) - 2])


def subscriber_numbers(h, path):
    return [str(n) for n in h.props(path, "org.ofono.SimManager").get("SubscriberNumbers", [])]


def flow(h, net, uicc_emu, modem_emu):
    h.start_bus()
    emu = ModemEmu(h, modem_emu, uicc_emu, [{"sim": SIM, "netsim": "tcp:127.0.0.1:%d" % net.port},
                                            {"sim": SIM_NO_WRITES, "opts": "uim-writes=off"}])
    emu.start()
    dev = emu.dev(0)
    conf = "[modem0]\nUicc=qmi:%s\nNetwork=qmi:%s\n[modem1]\nUicc=qmi:%s\n" % (dev, dev, emu.dev(1))
    path = "/modem0"
    mm = lambda: h.props(path, "org.ofono.MessageManager")  # noqa: E731
    sca = lambda: str(mm().get("ServiceCenterAddress", ""))  # noqa: E731
    numbers = lambda: subscriber_numbers(h, path)  # noqa: E731

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
    rec = qmicli_record1(dev, 0x6F42)
    check(smsp_sca(rec) == SCA, lambda: "qmicli reads EF_SMSP record 1 with the address set: %s (%s)" %
          (smsp_sca(rec), rec.hex()))
    check(len(writes) >= 1, lambda: "the write went as UIM Write Record (modem-emu's log: %d)" % len(writes))
    check(numbers() == [MSISDN], lambda: "SubscriberNumbers %s read from EF_MSISDN" % numbers())
    h.set_prop(path, "org.ofono.SimManager", "SubscriberNumbers", dbus.Array([NUMBER], signature="s"))
    h.wait_for(numbers, 30, "SubscriberNumbers [%s]" % NUMBER, until=lambda got: got == [NUMBER])
    rec = qmicli_record1(dev, 0x6F40)
    check(msisdn_number(rec) == NUMBER, lambda: "SubscriberNumbers set: qmicli reads EF_MSISDN record 1 with %s "
          "(%s)" % (msisdn_number(rec), rec.hex()))

    # ---- 2: ofonod and the modem (its SIM) restarted --------------------------------------------------------
    h.stop_ofonod()
    emu.kill9()
    emu.start()
    emu.wait_status(0, "sim", "ready", timeout=60)
    sim_and_sms_up("after the restarts")
    after = h.wait_for(sca, 30, "ServiceCenterAddress read back from the card after the restarts")
    check(after == SCA, lambda: "ServiceCenterAddress %s read back from the card after ofonod and modem-emu "
          "(kill -9) restarted" % after)
    rec = qmicli_record1(dev, 0x6F42)
    check(smsp_sca(rec) == SCA, lambda: "qmicli reads EF_SMSP record 1 after the restarts: %s" % smsp_sca(rec))
    got = h.wait_for(numbers, 30, "SubscriberNumbers after the restarts", until=lambda n: n)
    rec = qmicli_record1(dev, 0x6F40)
    check(got == [NUMBER] and msisdn_number(rec) == NUMBER,
          lambda: "SubscriberNumbers %s read back after the restarts, qmicli EF_MSISDN %s" % (got, msisdn_number(rec)))

    # ---- 3: firmware without the write messages ----------------------------------------------------------------
    no_writes(h, emu)


def no_writes(h, emu):
    """modem1: uim-writes=off."""
    path, dev = "/modem1", emu.dev(1)
    listed = lambda d: set(re.findall(r"0x[0-9A-F]{4}", qmicli(d, "--uim-get-supported-messages")))  # noqa: E731
    with_writes, without = listed(emu.dev(0)), listed(dev)
    check({"0x0021", "0x0022", "0x0023"} <= with_writes and "0x0021" in without and
          not {"0x0022", "0x0023"} & without,
          lambda: "qmicli --uim-get-supported-messages: Write Transparent / Record (0x0022, 0x0023) listed by "
          "modem0, not by modem1 (%s)" % sorted(without))
    h.power_up(path)
    check(h.sim_ready(path, None, timeout=60) == IMSI_NO_WRITES, "modem1's SIM ready")
    sim = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731
    h.wait_for(lambda: subscriber_numbers(h, path), 30, "modem1's SubscriberNumbers",
               until=lambda n: n == [MSISDN_NO_WRITES])
    try:
        h.set_prop(path, "org.ofono.SimManager", "SubscriberNumbers", dbus.Array([NUMBER], signature="s"))
        raise AssertionError("SubscriberNumbers set on a modem that cannot write the SIM")
    except dbus.exceptions.DBusException as e:
        check(True, lambda: "SubscriberNumbers set refused where the firmware cannot write: %s" % e.get_dbus_name())
    rec = qmicli_record1(dev, 0x6F40)
    check(msisdn_number(rec) == MSISDN_NO_WRITES, lambda: "the card keeps its number: %s" % msisdn_number(rec))
    lost = [l for l in h.ofonod_log().splitlines() if "modem1" in l and "reconnecting" in l]
    check(bool(sim().get("Present")) and not lost and str(sim().get("SubscriberIdentity")) == IMSI_NO_WRITES,
          lambda: "modem1's SIM still there after the refused write (reconnections: %s)" % lost)


if __name__ == "__main__":
    main_wrapper(lambda: run_with_fake_network(flow))
