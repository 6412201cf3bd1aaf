#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Through the real ofonod: what a user sets on the SIM is on the card.

The card is held powered by a second link (a silent vpcd peer on uicc-emu's
--vpcd), as a phone's modem keeps its SIM powered: powering the oFono modem
off and on, or restarting ofonod, does not reset it, so PIN1 stays
verified and oFono cannot learn from VERIFY whether it is enabled.

  1. LockedPins: ["pin"] after the PIN was entered; after the modem is
     powered off and on (the card still verified, no PIN asked) still
     ["pin"]: the sim driver's query_facility_lock reads the PIN status
     template of the USIM's FCP (TS 102 221 §9.5.2);
  2. UnlockPin("pin"): DISABLE VERIFICATION reaches the card, LockedPins
     [], and [] again after a power cycle; LockPin("pin"): ENABLE
     VERIFICATION, ["pin"], and ["pin"] after a power cycle;
  3. MessageManager.ServiceCenterAddress set: UPDATE RECORD of EF_SMSP
     reaches the card; ofonod and uicc-emu restarted (the card reset, its
     files from its state file): the address read back is the one set.

usage: test-sim-settings.py PLUGIN_SO UICC_EMU CARD0_INI
"""

import os
import socket
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, check, log, main_wrapper, sw_accepted  # noqa: E402

PIN = "1234"
IMSI = "001010123456789"
SCA = "+447700900123"


def run():
    plugin, uicc_emu, card0 = sys.argv[1:4]
    holder = socket.socket()                   # the card's second link: accepted, never spoken to
    holder.bind(("127.0.0.1", 0))
    holder.listen(4)
    netsim = socket.socket()                   # a network to have the sms atom; never needed online
    netsim.bind(("127.0.0.1", 0))
    netsim.listen(1)
    try:
        with Harness(plugin, uicc_emu) as h:
            h.start_bus()
            sock = h.start_card("card0", config_path=card0,
                                extra_args=["--vpcd", "127.0.0.1:%d" % holder.getsockname()[1]])
            holder.settimeout(30)
            peer, _ = holder.accept()
            conf = "[modem0]\nUicc=emu:unix:%s\nNetwork=netsim:tcp:127.0.0.1:%d\n" % (
                sock, netsim.getsockname()[1])
            h.start_ofonod(conf)
            path = h.wait_for(lambda: list(h.modems()), 30, "a modem")[0]
            simmgr = lambda: h.props(path, "org.ofono.SimManager")  # noqa: E731
            locked = lambda: sorted(str(p) for p in simmgr().get("LockedPins", []))  # noqa: E731
            card_log = lambda: h.cards["card0"]["proc"].log_text()  # noqa: E731

            def wait_locked(want, what):
                """LockedPins once it reads want (oFono may set it after the call or SIM state
                that leads to it): on timeout, the value it last read."""
                h.wait_for(locked, 30, "LockedPins %s (%s)" % (want, what), until=lambda got: got == want)
                check(True, lambda: "LockedPins %s %s" % (want, what))

            def card_lines(header):
                """uicc-emu's log lines of the APDUs with this header, once there is one."""
                return h.wait_for(lambda: [l for l in card_log().splitlines() if "APDU " + header in l], 30,
                                  "APDU %s in the card's log" % header)

            def power_cycle(what):
                h.set_prop(path, "org.ofono.Modem", "Powered", dbus.Boolean(False))
                h.wait_for(lambda: not h.props(path, "org.ofono.Modem").get("Powered"), 30, "powered off")
                h.power_up(path)
                imsi = h.sim_ready(path, pin=None)
                check(imsi == IMSI, lambda: "SIM ready again without a PIN (%s): IMSI %s" % (what, imsi))

            # ---- 1: LockedPins of a card whose PIN is still verified ------------------------------
            h.power_up(path)
            check(h.sim_ready(path, PIN) == IMSI, "SIM ready after the PIN")
            wait_locked(["pin"], "after the PIN was entered")
            power_cycle("card kept powered")
            wait_locked(["pin"], "after a power cycle: PIN1 enabled, though already verified")

            # ---- 2: UnlockPin / LockPin ---------------------------------------------------------
            h.iface(path, "org.ofono.SimManager").UnlockPin("pin", PIN, timeout=30)
            wait_locked([], "after UnlockPin")
            dis = card_lines("00 26 00 01")
            check(len(dis) == 1 and sw_accepted(dis[0]),
                  lambda: "DISABLE VERIFICATION PIN1 accepted by the card: %s" % dis)
            power_cycle("PIN disabled")
            wait_locked([], "after a power cycle with PIN1 disabled")
            h.iface(path, "org.ofono.SimManager").LockPin("pin", PIN, timeout=30)
            wait_locked(["pin"], "after LockPin")
            ena = card_lines("00 28 00 01")
            check(len(ena) == 1 and sw_accepted(ena[0]),
                  lambda: "ENABLE VERIFICATION PIN1 accepted by the card: %s" % ena)
            power_cycle("PIN enabled again")
            wait_locked(["pin"], "after a power cycle with PIN1 enabled")

            # ---- 3: the service centre address on the card -----------------------------------------
            h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager")
            mm = lambda: h.props(path, "org.ofono.MessageManager")  # noqa: E731
            sca = lambda: str(mm().get("ServiceCenterAddress", ""))  # noqa: E731
            # the sms atom reads the address from EF_SMSP as it starts
            before = h.wait_for(sca, 30, "ServiceCenterAddress read from the card")
            log("ServiceCenterAddress from the card: %s" % before)
            check(before != SCA, "the card's address differs from the one to set")
            h.set_prop(path, "org.ofono.MessageManager", "ServiceCenterAddress", SCA)
            h.wait_for(sca, 30, "ServiceCenterAddress %s" % SCA, until=lambda got: got == SCA)
            check(True, lambda: "ServiceCenterAddress set to %s" % SCA)
            upd = card_lines("00 dc 01 04")
            check(len(upd) == 1 and sw_accepted(upd[0]), lambda: "UPDATE RECORD 1 of EF_SMSP accepted: %s" % upd)

            h.stop_ofonod()
            peer.close()
            h.stop_card("card0")
            h.restart_card("card0")
            peer, _ = holder.accept()
            h.start_ofonod(conf)
            h.wait_for(lambda: path in h.modems(), 30, "the modem after the restart")
            h.power_up(path)
            check(h.sim_ready(path, PIN) == IMSI, "SIM ready after ofonod and uicc-emu restarted")
            h.wait_for(lambda: "org.ofono.MessageManager" in h.interfaces(path), 30, "MessageManager")
            after = h.wait_for(sca, 30, "ServiceCenterAddress read back from the card after the restarts")
            check(after == SCA, lambda: "ServiceCenterAddress %s read back from the card after the restarts" % after)
            peer.close()
    finally:
        holder.close()
        netsim.close()


if __name__ == "__main__":
    main_wrapper(run)
