#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The card's toolkit menu through the real ofonod (doc/card-config.md "Menu").

card0's SET UP MENU reaches oFono after the TERMINAL PROFILE:
SimToolkit.MainMenuTitle and MainMenu show its title and items.  SelectItem
runs each kind of session with the session agent (a test agent on the
caller's connection, as oFono 1.31 requires): a DISPLAY TEXT, a GET INPUT
whose answer the next DISPLAY TEXT repeats, a SELECT ITEM whose choice the
next DISPLAY TEXT names.  Then the deferred flow: the real stkbridge-agent,
the default agent, answers the C1's DISPLAY TEXT "busy" (TS 102 223 §8.12,
20 01), so the request stays pending on the card; the "Pending requests"
item re-opens it, the user confirms, and that answer reaches R1 through the
normal MG and C2.

usage: test-stk-menu.py PLUGIN_SO UICC_EMU CARD0_INI OTA_TEST_SERVER STKBRIDGE_AGENT
"""

import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dbus  # noqa: E402
from harness import Harness, TestAgent, check, log, main_wrapper  # noqa: E402
from deferred_flow import CARD0_ICCID, card0_modem, create_tx, tx_get, wait_final  # noqa: E402
from otaflow import Agent  # noqa: E402

MENU_TITLE = "stkbridge"
MENU_ITEMS = ["About this card", "Say hello", "Pick a colour", "Pending requests"]


def display_texts(agent):
    return [c[1] for c in agent.calls if c[0] == "DisplayText"]


def select(h, path, agent, index):
    """SimToolkit.SelectItem: the index into MainMenu, the session's agent."""
    h.iface(path, "org.ofono.SimToolkit").SelectItem(dbus.Byte(index), dbus.ObjectPath(agent.path), timeout=30)


def run():
    plugin, uicc_emu, card0, server, agent_exe = sys.argv[1:6]
    with Harness(plugin, uicc_emu) as h:
        api, path = card0_modem(h, card0, server)
        default_agent = Agent(h, agent_exe, "stkbridge-agent", path,
                              ["# the C1's DisplayText: the screen is busy", "busy"])
        default_agent.wait_registered(timeout=15)

        # ---- SET UP MENU -> MainMenu ----------------------------------------------------------
        stk = lambda: h.props(path, "org.ofono.SimToolkit")  # noqa: E731
        h.wait_for(lambda: len(stk().get("MainMenu", [])) == len(MENU_ITEMS), 15, "the card's menu at oFono")
        check(str(stk().get("MainMenuTitle")) == MENU_TITLE, lambda: "MainMenuTitle %r" % str(stk().get("MainMenuTitle")))
        items = [str(t) for t, _icon in stk().get("MainMenu")]
        check(items == MENU_ITEMS, lambda: "MainMenu items %s" % items)

        # ---- each kind of scripted session ----------------------------------------------------
        session = TestAgent(h.bus, "/org/stkbridge/test/session",
                            answers={"RequestInput.text": "Ada", "RequestSelection.item": 1})
        select(h, path, session, 0)
        h.wait_for(lambda: display_texts(session), 15, "About this card: DisplayText")
        check(display_texts(session)[-1] == "stkbridge demo card: a software UICC (uicc-emu)",
              lambda: "About this card shows %r" % display_texts(session)[-1])

        select(h, path, session, 1)
        h.wait_for(lambda: "Hello, Ada!" in display_texts(session), 15, "Say hello: DisplayText with the name")
        inputs = [c for c in session.calls if c[0] == "RequestInput"]
        check(inputs and inputs[-1][1] == "Your name?", lambda: "Say hello asked %r" % (inputs[-1][1] if inputs else None))
        check(True, "GET INPUT answered 'Ada', the next DISPLAY TEXT says 'Hello, Ada!'")

        select(h, path, session, 2)
        h.wait_for(lambda: "You picked Green." in display_texts(session), 15, "Pick a colour: the choice shown")
        sel = [c for c in session.calls if c[0] == "RequestSelection"]
        check(sel and sel[-1][1] == "Your colour" and [t for t, _ in sel[-1][2]] == ["Red", "Green", "Blue"],
              lambda: "SELECT ITEM 'Your colour' with Red, Green, Blue: %r" % ((sel[-1][1:3] if sel else None),))

        # ---- a request the terminal could not show, re-opened from the menu ----------------------
        card = h.cards["card0"]["proc"]
        txurl = create_tx(api, CARD0_ICCID, "Confirm 12 EUR?")
        h.wait_for(lambda: "Confirm 12 EUR?" in default_agent.proc.log_text(), 30,
                   "the C1's DisplayText at stkbridge-agent")
        h.wait_for(lambda: "it stays pending" in card.log_text(), 15, "the card keeping the request pending")
        check(True, "stkbridge-agent answered busy (20 01): the card keeps the request pending, no R1")
        state = tx_get(txurl).get("state")
        check(state not in ("completed", "failed", "expired"), lambda: "the transaction is not over: %s" % state)

        select(h, path, session, 3)
        h.wait_for(lambda: "Confirm 12 EUR?" in display_texts(session), 15,
                   "the pending request re-opened by the menu item")
        check("re-opened from the menu" in card.log_text(), "the card re-opened it from 'Pending requests'")
        tx = wait_final(h, txurl, timeout=120)
        general = tx.get("result") and int(tx["result"].get("general", -1))
        check(tx["state"] == "completed" and general == 0,
              lambda: "R1 reached the server by the normal C2: state %s, general result %s" % (tx["state"], general))
        log("session agent calls: %s" % [c[0] for c in session.calls])


if __name__ == "__main__":
    main_wrapper(run)
