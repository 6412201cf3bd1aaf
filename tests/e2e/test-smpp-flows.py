#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole deferred flow of test-flows.py, every EV rule and RQ form, with
ota-test-server reaching the card over SMPP: the server is an ESME of the
test SMSC (tests/smsc, node-smpp), which plays the netsim server for the real
ofonod's stkbridge plugin:

  ota-test-server --submit_sm / deliver_sm--> test SMSC --netsim--> ofonod --> uicc-emu

The SMSC forwards the card's RP-ACK data (the PoR of SPI 1619) as a
deliver_sm, as pySim-smpp2sim does (the server's config says so:
rp-ack-forwarded=true), and sends delivery receipts (registered-delivery).
The server binds as a transmitter and a receiver (two connections; the
faults test runs a transceiver).
On top of test-flows.py's checks of every hop: each command left as a
submit_sm (esm_class 40, protocol_id 7F, data_coding F6, the card's MSISDN,
short_message = the TP-UD the card got), each PoR and MG came back as a
deliver_sm, and each command's delivery receipt is on its transaction's
timeline (matched by the SMSC's message id).

usage: test-smpp-flows.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER STKBRIDGE_AGENT OTA_CLI
"""

import importlib.util
import os
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import Stack, args_bins, card_ini, events  # noqa: E402
from smsc import Smsc, Unavailable, check_smpp, link_status  # noqa: E402

spec = importlib.util.spec_from_file_location("test_flows", os.path.join(HERE, "test-flows.py"))
test_flows = importlib.util.module_from_spec(spec)
spec.loader.exec_module(test_flows)


def run():
    plugin, bins = args_bins(sys.argv)
    with Harness(plugin, bins["uicc_emu"]) as h:
        try:
            smsc = Smsc(h, forward_rp_ack=True, subscribers={"+15550108": "89882390000000000108"})
        except Unavailable as e:
            print("1..0 # SKIP %s" % e)
            sys.exit(77)
        s = Stack(h, bins)
        try:
            s.start({"card0": card_ini("89882390000000000108", "001010000000108", "+15550108", test_flows.TARS)},
                    server_args=["--backoff-ms", "600", "--backoff-max-ms", "1200"], smsc=smsc,
                    smpp={"registered-delivery": True, "rp-ack-forwarded": True,
                          "bind": "transmitter+receiver"})
            agent = s.agent("agent", "card0", test_flows.ANSWERS)
            s.bring_up("card0")
            agent.wait_registered()
            test_flows.flows(h, s, agent)
            smpp_side(h, s, smsc)
        finally:
            s.stop()


def smpp_side(h, s, smsc):
    status, txs = s.api.call("GET", "/v1/transactions")
    check(status == 200 and len(txs) == 7 and all(t["state"] == "completed" for t in txs),
          "7 transactions completed over SMPP")
    for t in sorted(txs, key=lambda t: t["id"]):
        tx = s.api.tx(t["id"])
        spi = test_flows.TARS[tx["tar"]].get("spi", "1619")
        log("tx %d (TAR %s, SPI %s): the SMPP side" % (tx["id"], tx["tar"], spi))
        check_smpp(s, smsc, "card0", tx)
        # a receipt for every SMS the server sent, on the timeline (they may come after the end)
        sent = {e["msg-id"] for e in tx["timeline"] if e["event"].endswith("-sent")}
        tx = h.wait_for(lambda: (lambda x: x if sent <= {e["msg-id"] for e in events(x, "delivery-receipt")}
                                 else None)(s.api.tx(t["id"])), 10, "receipts of tx %d" % t["id"])
        receipts = events(tx, "delivery-receipt")
        check(all(r["delivered"] and r["stat"] == "DELIVRD" and r["link"] == "smpp" and r["message-id"]
                  for r in receipts) and len({r["message-id"] for r in receipts}) == len(receipts),
              lambda: "tx %d: %d delivery receipts on the timeline, DELIVRD, each with its own message id" %
              (tx["id"], len(receipts)))
        check(all(e["link"] == "smpp" for e in tx["timeline"] if e["event"].endswith("-sent")),
              lambda: "tx %d: every command went by the smpp link" % tx["id"])
    st = link_status(s.api)
    check([x["role"] for x in st["sessions"]] == ["transmitter", "receiver"] and
          smsc.events(smpp="bind_transmitter") and smsc.events(smpp="bind_receiver") and
          not smsc.events(smpp="bind_transceiver"),
          "two binds: bind_transmitter (submit_sm) and bind_receiver (deliver_sm)")
    check(st["state"] == "bound" and st["refused"] == 0 and st["throttled"] == 0 and
          st["deliver-sm-refused"] == 0 and st["accepted"] == st["submitted"] and st["outstanding"] == 0,
          lambda: "link: %d submit_sm, all accepted; %d deliver_sm, none refused; %d receipts" %
          (st["submitted"], st["deliver-sm"], st["receipts"]))
    log("SMSC: %s" % smsc.stats())


if __name__ == "__main__":
    main_wrapper(run)
