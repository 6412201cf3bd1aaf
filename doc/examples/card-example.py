#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The packaged example card config (stkbridge-card(5)): uicc-emu/examples/card0.ini
with every key replaced by a placeholder that the loader refuses
("[keyset 1] kic-key: ..."), so no usable key is shipped and a card cannot
start on the example's keys by mistake.

usage: card-example.py CARD0_INI OUTPUT
"""
import re
import sys

HEADER = """# An example card config (stkbridge-card(5)): copy it to
# /etc/stkbridge/cards/NAME.ini (root, mode 0600) for uicc-emu@NAME.service,
# and write the card's own keys in place of the REPLACE-WITH-... placeholders:
# uicc-emu and ota-test-server refuse the file until then.
"""


def main():
    src, out = sys.argv[1:3]
    with open(src) as f:
        text = f.read()
    # the source's leading comment speaks of its test keys: replace it
    body = re.sub(r"\A(#[^\n]*\n)+", "", text)
    body, n = re.subn(r"^(kic|kid)-key=[0-9A-Fa-f: ]+?(\s+#.*)?$",
                      lambda m: "%s-key=REPLACE-WITH-THE-%s-KEY%s" % (m.group(1), m.group(1).upper(), m.group(2) or ""),
                      body, flags=re.M)
    if n == 0 or re.search(r"^(kic|kid)-key=[0-9A-Fa-f]", body, re.M):
        sys.exit("card-example.py: %s: the keys were not all replaced" % src)
    with open(out, "w") as f:
        f.write(HEADER + body)


if __name__ == "__main__":
    main()
