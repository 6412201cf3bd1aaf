#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Uicc=qmi: the modem's own SIM as oFono's SIM, through the real ofonod,
libqmi (QMI UIM) and modem-emu, whose SIM is a uicc-emu card it drives as
firmware does (doc/qmi.md).  Uicc=qmi and Network=qmi on one PATH share one
QmiDevice.  In private namespaces (qmi_env.py).

  1. SimManager before the PIN: Present, CardIdentifier (EF_ICCID),
     PinRequired "pin", Retries from the card status; qmicli, a client nobody
     here wrote, reads the same card status and EF_ICCID through qmi-proxy
     beside the plugin;
  2. wrong PINs: each refused, Retries counting down, then PinRequired "puk";
     ResetPin with the PUK: the SIM ready (IMSI, SPN, MSISDN as the card's
     config says); NetworkRegistration from NAS on the same device;
  3. LockedPins ["pin"]; UnlockPin / LockPin: [] and ["pin"], and
     qmicli's card status says PIN1 disabled / enabled;
  4. the SIM removed in the modem (modem-emu's control socket): Present
     false, SimToolkit gone; inserted: Present, the PIN again (the SIM was
     powered again), ready;
  5. modem-emu killed with -9 and started again: the SIM gone and back
     (PIN again), registered again;
  6. a second modem without the CAT service (modem-emu cat=off): one line
     says SimToolkit is not available and the SIM works without it (its IMSI
     read), nothing waits.

usage: test-qmi-sim.py PLUGIN_SO UICC_EMU MODEM_EMU
"""

import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qmi_env import ModemEmu, enter_namespace, qmicli, qmicli_read_result, run_with_fake_network  # noqa: E402

enter_namespace()

import dbus  # noqa: E402
from harness import check, log, main_wrapper  # noqa: E402
from otaflow import card_ini  # noqa: E402

ICCID = "89882390000000000934"
IMSI = "001010000000934"
MSISDN = "+15550934"
PIN, PUK = "1234", "12345678"        # card_ini's PIN, uicc-emu's default PUK
SIM = card_ini(ICCID, IMSI, MSISDN, {})
SIM_NO_PIN = """[card]
iccid=89882390000000000942
imsi=001010000000935
msisdn=+15550935
"""


def qmicli_pin1(dev):
    """PIN1 state and retries as qmicli --uim-get-card-status prints them."""
    out = qmicli(dev, "--uim-get-card-status")
    state = re.search(r"PIN1 state: '([^']*)'", out)
    retries = re.search(r"PIN1 retries: '(\d+)'", out)
    return (state.group(1) if state else None, int(retries.group(1)) if retries else None, out)


def flow(h, net, uicc_emu, modem_emu):
    h.start_bus()
    emu = ModemEmu(h, modem_emu, uicc_emu, [{"sim": SIM, "netsim": "tcp:127.0.0.1:%d" % net.port},
                                            {"sim": SIM_NO_PIN, "opts": "cat=off"}])
    emu.start()
    dev = emu.dev(0)
    h.start_ofonod("[modem0]\nUicc=qmi:%s\nNetwork=qmi:%s\n[modem1]\nUicc=qmi:%s\n" % (dev, dev, emu.dev(1)))
    path = "/modem0"
    h.wait_for(lambda: path in h.modems(), 30, "modem0")
    sim = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731
    simmgr = lambda: h.iface(path, "org.ofono.SimManager")  # noqa: E731
    locked = lambda: sorted(str(p) for p in sim().get("LockedPins", []))  # noqa: E731

    # ---- 1: before the PIN, and qmicli beside the plugin ----------------------------------------------
    h.power_up(path)
    h.wait_for(lambda: "org.ofono.SimManager" in h.interfaces(path), 30, "SimManager")
    props = h.wait_for(sim, 30, "PIN request", until=lambda p: str(p.get("PinRequired")) == "pin")
    check(bool(props.get("Present")) and str(props.get("CardIdentifier")) == ICCID,
          lambda: "SimManager: present, CardIdentifier %s (EF_ICCID by UIM Read Transparent)" %
          props.get("CardIdentifier"))
    retries = h.wait_for(lambda: sim().get("Retries"), 30, "Retries")
    check(int(retries.get("pin", -1)) == 3, lambda: "Retries from the card status: %s" % dict(retries))
    state, left, out = qmicli_pin1(dev)
    check(state == "enabled-not-verified" and left == 3,
          lambda: "qmicli --uim-get-card-status: PIN1 %s, %s attempts left, as oFono shows" % (state, left))
    out = qmicli(dev, "--uim-read-transparent=0x3F00,0x2FE2")
    raw = qmicli_read_result(out).hex()
    digits = "".join(raw[i + 1] + raw[i] for i in range(0, len(raw), 2)).rstrip("f")
    check(digits == ICCID, lambda: "qmicli --uim-read-transparent EF_ICCID: %s, oFono's CardIdentifier" % digits)

    # ---- 2: wrong PINs, the PUK ---------------------------------------------------------------------------
    for want in (2, 1):
        try:
            simmgr().EnterPin("pin", "0000", timeout=30)
            raise AssertionError("a wrong PIN was accepted")
        except dbus.exceptions.DBusException as e:
            log("wrong PIN refused: %s" % e.get_dbus_name())
        h.wait_for(lambda: sim().get("Retries"), 30, "Retries %d" % want,
                   until=lambda r: int(r.get("pin", -1)) == want)
        check(True, lambda: "a wrong PIN refused, Retries pin %d" % want)
    try:
        simmgr().EnterPin("pin", "0000", timeout=30)
        raise AssertionError("a wrong PIN was accepted")
    except dbus.exceptions.DBusException:
        pass
    h.wait_for(lambda: str(sim().get("PinRequired")), 30, "PinRequired puk", until=lambda s: s == "puk")
    state, left, _ = qmicli_pin1(dev)
    check(state == "blocked", lambda: "third wrong PIN: PinRequired puk; qmicli: PIN1 %s" % state)
    simmgr().ResetPin("puk", PUK, PIN, timeout=30)
    imsi = h.wait_for(lambda: str(sim().get("SubscriberIdentity", "")), 30, "IMSI after the PUK")
    h.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
    h.wait_for(lambda: "org.ofono.NetworkRegistration" in h.interfaces(path), 30, "NetworkRegistration")
    h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status"), 30, "registered",
               until=lambda s: s == "registered")
    check(True, "registered from NAS on the same QmiDevice")
    # oFono reads EF_SPN for its netreg atom
    props = h.wait_for(sim, 30, "SPN and MSISDN", until=lambda p: p.get("ServiceProviderName") and
                       p.get("SubscriberNumbers"))
    check(imsi == IMSI and str(props["ServiceProviderName"]) == "stkbridge" and
          [str(n) for n in props["SubscriberNumbers"]] == [MSISDN],
          lambda: "after ResetPin: IMSI %s, SPN %r, MSISDN %s (EF_IMSI, EF_SPN, EF_MSISDN through UIM)" %
          (imsi, str(props["ServiceProviderName"]), [str(n) for n in props["SubscriberNumbers"]]))
    h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit")
    check(True, "SimToolkit there (CAT client set up)")

    # ---- 3: LockPin / UnlockPin --------------------------------------------------------------------------
    h.wait_for(locked, 30, "LockedPins [pin]", until=lambda l: l == ["pin"])
    simmgr().UnlockPin("pin", PIN, timeout=30)
    h.wait_for(locked, 30, "LockedPins []", until=lambda l: l == [])
    state, _, _ = qmicli_pin1(dev)
    check(state == "disabled", lambda: "UnlockPin: LockedPins [], qmicli PIN1 %s" % state)
    simmgr().LockPin("pin", PIN, timeout=30)
    h.wait_for(locked, 30, "LockedPins [pin]", until=lambda l: l == ["pin"])
    state, _, _ = qmicli_pin1(dev)
    check(state == "enabled-verified", lambda: "LockPin: LockedPins [pin], qmicli PIN1 %s" % state)

    # ---- 4: the SIM removed in the modem and inserted --------------------------------------------------------
    emu.control("sim-remove " + dev)
    h.wait_for(lambda: not sim().get("Present"), 30, "SIM not present")
    h.wait_for(lambda: "org.ofono.SimToolkit" not in h.interfaces(path), 30, "SimToolkit gone")
    check(True, "SIM removed in the modem: Present false, SimToolkit gone")
    emu.control("sim-insert " + dev)
    check(h.sim_ready(path, PIN) == IMSI, "SIM inserted: present, PIN again, ready")
    h.wait_for(lambda: "org.ofono.SimToolkit" in h.interfaces(path), 30, "SimToolkit back")

    # ---- 5: modem-emu killed and started again ------------------------------------------------------------------
    emu.kill9()
    h.wait_for(lambda: not sim().get("Present"), 30, "SIM gone with the modem")
    check(True, "modem-emu killed: the SIM gone")
    emu.start()
    check(h.sim_ready(path, PIN, timeout=60) == IMSI, "modem-emu back: the SIM present, PIN, ready")
    h.wait_for(lambda: h.props(path, "org.ofono.NetworkRegistration").get("Status"), 60, "registered again",
               until=lambda s: s == "registered")
    check(True, "registered again")
    log("PIN never in ofonod's log: %s" % (PIN not in h.ofonod_log()))
    check(PUK not in h.ofonod_log(), "the PUK never in ofonod's log")

    # ---- 6: a modem without CAT ---------------------------------------------------------------------------------
    h.power_up("/modem1")
    imsi = h.sim_ready("/modem1", None)
    lines = [l for l in h.ofonod_log().splitlines() if "SimToolkit is not available" in l and "modem1" in l]
    check(imsi == "001010000000935" and len(lines) == 1 and "has no CAT service" in lines[0],
          lambda: "no CAT on modem1: its SIM works (IMSI %s), one line: %s" % (imsi, lines[0].strip() if lines else None))


if __name__ == "__main__":
    main_wrapper(lambda: run_with_fake_network(flow))
