#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The live timeline page (ota-test-server at /) in a real browser: Debian's
chromium, headless, driven through chromium-driver by python3-selenium.

The stack is the real one of tests/e2e (harness.py, otaflow.py): uicc-emu,
ota-test-server, ofonod with the stkbridge plugin on a private bus.  The
user is this test's own SimToolkitAgent, which holds DISPLAY TEXT until the
test answers, so the deferred flow stops where the patent's user thinks:

  1. the page is open (following new transactions) before anything happens;
     a transaction is started through the API; the page draws request, C1,
     the PoR with the IR and its time extension, and the proactive command
     at the ME, then nothing more while the user has not answered (the API
     says "waiting");
  2. the user answers: the TERMINAL RESPONSE at the ME, MG, the EV that sent
     C2, C2, the PoR with R2S "done", R1 delivered, release, its PoR, and
     "released" appear, each arrow in its own step as its event arrives
     (recorded in the page by a MutationObserver), in the API's order, with
     their times; the screenshot timeline-desktop.png is kept;
  3. a transaction on a card no handset serves: C1, the PoR timeouts, the
     retry and the failure, each in its colour (timeline-failure.png);
  4. keyboard only: Tab reaches the transaction list with a visible focus
     ring, arrows move, Enter chooses, the card list filters;
  5. a 390x844 phone window: one column, lane labels abbreviated, no
     sideways scroll of the page (only inside the diagram)
     (timeline-phone.png);
  6. an RFM operation (SELECT DF_GSM + GET RESPONSE on SIM RFM): the page
     follows it and draws the request, the script to the UICC, the PoR
     with its R-APDUs and the script done with the last R-APDU, its summary
     the script and the R-APDUs; then a campaign of one card: the campaigns
     panel shows it completed with its counts, and its operation's
     timeline the card's campaign states (timeline-rfm.png);
  7. more cards than the API's first page: the page lists that page and
     says there are more;
  and the browser's console holds no Content-Security-Policy violation and
  no error but the campaigns 404 (before the server has campaigns).

usage: test-timeline-page.py PLUGIN_SO UICC_EMU OTA_TEST_SERVER ARTIFACT_DIR
Skips (exit 77, TAP skip line) when chromium, chromium-driver or
python3-selenium is not installed, or without root (the e2e harness).
"""

import base64
import json
import os
import re
import sys
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def skip_without_browser():
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium")
    if missing:
        print("1..0 # SKIP no headless browser: %s missing (scripts/install-deps.sh installs chromium, "
              "chromium-driver and python3-selenium)" % ", ".join(missing))
        sys.exit(77)


skip_without_browser()

import dbus  # noqa: E402
import dbus.service  # noqa: E402
from harness import Harness, check, log, main_wrapper  # noqa: E402
from otaflow import Stack, card_ini, rfm_tar  # noqa: E402
from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.action_chains import ActionChains  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

TEXT = "Pay 10 EUR to ACME?"
CARD = ("89882390000000000306", "001010000000306", "+15550306")
LOST_CARD = ("89882390000000000314", "001010000000314", "+15550314")   # no handset serves it

# (data-events, label, from, to, kind) of every row of the deferred flow, in order
FLOW = [
    ("queued", "request", "sv1", "sv2", "normal"),
    ("c1-sent", "C1", "sv2", "uicc", "normal"),
    ("por-received ir-received", "PoR + IR", "uicc", "sv2", "normal"),
    ("", "DISPLAY TEXT", "uicc", "me", "inferred"),
    ("", "TERMINAL RESPONSE", "me", "uicc", "inferred"),
    ("mg-received", "MG", "uicc", "sv1", "normal"),
    ("c2-sent", "EV: MG", "sv1", "sv2", "normal"),
    ("c2-sent", "C2", "sv2", "uicc", "normal"),
    ("por-received r2s-received", "PoR + R2S done", "uicc", "sv2", "normal"),
    ("r1-delivered", "R1 delivered", "sv2", "sv1", "normal"),
    ("release-sent", "release", "sv2", "uicc", "normal"),
    ("por-received r2s-received", "PoR + R2S released", "uicc", "sv2", "normal"),
    ("released", "released", "sv2", "sv2", "done"),
]
BEFORE_ANSWER = 4      # rows drawn while the user has not answered
RFM_FLOW = [("request", "sv1", "sv2", "normal"), ("RFM script", "sv2", "uicc", "normal"),
            ("PoR + R-APDUs", "uicc", "sv2", "normal"), ("script done", "sv2", "sv1", "normal")]
LOST_FLOW = [("request", "normal"), ("C1", "normal"), ("no PoR for C1", "retry"),
             ("C1 (attempt 2)", "retry"), ("no PoR for C1", "retry"), ("failed", "fail")]

ROWS_JS = """return [...document.querySelectorAll('#seq g.row')].map(g => ({
    key: g.dataset.key, seq: Number(g.dataset.seq), events: g.dataset.events, label: g.dataset.label,
    from: g.dataset.from, to: g.dataset.to, kind: g.dataset.kind,
    time: g.querySelector('text.time').textContent, clock: g.querySelector('text.clock').textContent,
    title: g.querySelector('title').textContent, color: getComputedStyle(g).color}));"""

# every redraw of the diagram, as the list of its row keys (installed before the transaction)
RECORDER_JS = """window.__steps = [];
new MutationObserver(() => window.__steps.push(
    [...document.querySelectorAll('#seq g.row')].map(g => g.dataset.key)))
  .observe(document.getElementById('seq'), {childList: true, subtree: true});"""


class HeldAgent(dbus.service.Object):
    """org.ofono.SimToolkitAgent whose user answers DISPLAY TEXT when the test says so."""

    def __init__(self, bus, path="/org/stkbridge/test/web"):
        super().__init__(bus, path)
        self.path = path
        self.shown = []
        self.held = []

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="syb", out_signature="",
                         async_callbacks=("reply", "error"))
    def DisplayText(self, text, icon, urgent, reply, error):
        log("agent: DisplayText(%r): held until the test answers" % str(text))
        self.shown.append(str(text))
        self.held.append(reply)

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="", out_signature="")
    def Release(self):
        log("agent: Release")

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="", out_signature="")
    def Cancel(self):
        log("agent: Cancel")

    def answer(self):
        self.held.pop(0)()


def start_browser(h):
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
              "--disable-background-networking", "--disable-component-update", "--disable-sync",
              "--user-data-dir=" + h.path("chromium-profile"), "--window-size=1280,960"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(CHROMEDRIVER, log_path=h.path("chromedriver.log"))
    d = webdriver.Chrome(service=service, options=opts)
    log("chromium %s through chromedriver (pid %d)" % (d.capabilities.get("browserVersion"),
                                                       service.process.pid))
    return d


class Page:
    def __init__(self, h, d):
        self.h = h
        self.d = d

    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def rows(self):
        return self.js(ROWS_JS)

    def labels(self):
        return [r["label"] for r in self.rows()]

    def text(self, element_id):
        return self.js("return document.getElementById(arguments[0]).textContent", element_id)

    def wait(self, predicate, what, timeout=30):
        return self.h.wait_for(predicate, timeout, "page: " + what)

    def wait_labels(self, labels, timeout=30):
        return self.wait(lambda: self.labels() == labels, "rows %s (now %s)" % (labels, self.labels()),
                         timeout)

    def wait_still(self):
        """No animation running (a screenshot shows the final picture)."""
        self.wait(lambda: self.js("return document.getAnimations().length") == 0, "animations done", 10)

    def screenshot(self, path):
        """The whole page, not only the window (Chrome DevTools Protocol)."""
        self.wait_still()
        size = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
        shot = self.d.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        check(os.path.getsize(path) > 10000, "screenshot kept: %s (%dx%d CSS px, %d bytes)" %
              (path, size["width"], size["height"], os.path.getsize(path)))

    def keys(self, *keys):
        ActionChains(self.d).send_keys(*keys).perform()

    def active(self):
        return self.js("const a = document.activeElement; return {id: a.id, role: a.getAttribute('role'), "
                       "key: a.dataset ? a.dataset.key : null, list: a.parentElement ? a.parentElement.id : null, "
                       "outline: getComputedStyle(a).outlineStyle, "
                       "width: parseFloat(getComputedStyle(a).outlineWidth)}")


def post_card(base, ini):
    req = urllib.request.Request(base + "/v1/cards", data=ini.encode(), method="POST",
                                 headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 201, "card registered through the API (no handset serves it)")


def campaigns_of(base):
    try:
        with urllib.request.urlopen(base + "/v1/campaigns", timeout=10) as r:
            body = json.loads(r.read().decode())
            return body if isinstance(body, list) else body.get("campaigns", [])
    except urllib.error.HTTPError as e:
        if e.code == 404:
            return None
        raise


def rel_ms(text):
    """'+12.3 ms' / '+1.234 s' / '+1 min 2.3 s' -> ms"""
    m = re.fullmatch(r"\+(?:(\d+) min )?([\d.]+) (ms|s)", text)
    if not m:
        raise AssertionError("not a time: %r" % text)
    v = float(m.group(2)) * (1 if m.group(3) == "ms" else 1000)
    return v + int(m.group(1) or 0) * 60000


# ---- the parts ---------------------------------------------------------------------------

def deferred_flow(s, page, agent, art):
    page.js(RECORDER_JS)
    tx_id = s.start_tx("card0", action="display-text", text=TEXT, tar="b00001",
                       ev={"mg": True, "rq": False, "preset-ms": None})

    # 1: up to the user's screen, and not further
    page.wait_labels([r[1] for r in FLOW[:BEFORE_ANSWER]])
    s.h.wait_for(lambda: agent.held, 30, "DISPLAY TEXT at the agent")
    check(agent.shown == [TEXT], "the ME shows %r and waits for the user" % agent.shown[0])
    tx = s.wait_state(tx_id, "waiting")
    page.wait(lambda: page.text("dia-h") == "Transaction %d" % tx_id and "waiting" in page.text("tx-summary"),
              "the page followed transaction %d, state waiting" % tx_id)
    rows = page.rows()
    check(len(rows) == BEFORE_ANSWER, "before the answer the page draws %d rows: %s" %
          (BEFORE_ANSWER, [r["label"] for r in rows]))
    check("RQ fixed 60 s" in rows[2]["title"] and tx["rq"] == {"form": "fixed", "seconds": 60},
          "the PoR/IR arrow shows the time extension: %s" % rows[2]["title"])

    # 2: the user answers; the rest arrives live
    agent.answer()
    tx = s.wait_final(tx_id)
    check(tx["state"] == "completed" and tx["result"] == {"general": 0, "additional": ""},
          "transaction %d completed with R1 'confirmed'" % tx_id)
    page.wait_labels([r[1] for r in FLOW])
    page.wait(lambda: "completed" in page.text("tx-summary") and
              page.js("return document.querySelector('#tx-list li[data-key=\"%d\"] .badge')?.textContent" % tx_id)
              == "completed", "state completed in the summary and the list")
    rows = page.rows()
    for r, (events, label, frm, to, kind) in zip(rows, FLOW):
        check((r["events"], r["label"], r["from"], r["to"], r["kind"]) == (events, label, frm, to, kind),
              "row %-20s %s -> %s, %s%s" % (label, frm, to, kind, (" (" + events + ")") if events else ""))
    drawn = [e for r in rows if r["kind"] != "inferred" and not r["key"].startswith("ev")
             for e in r["events"].split()]
    check(drawn == [e["event"] for e in tx["timeline"]],
          "the rows are the API's timeline, in its order (%d events)" % len(drawn))
    check(rows[0]["clock"] == tx["timeline"][0]["at"][11:23] + "Z", "times on the side: %s %s" %
          (rows[0]["time"], rows[0]["clock"]))
    times = [rel_ms(r["time"]) for r in rows if r["kind"] != "inferred"]
    check(times == sorted(times) and times[0] == 0.0, "relative times grow: %s" %
          [r["time"] for r in rows if r["kind"] != "inferred"])
    check([r["time"][:1] for r in rows if r["kind"] == "inferred"] == ["≥", "≤"],
          "inferred rows are bounded by the events that prove them (≥ after the IR, ≤ before the MG)")
    check("the user: confirmed" in rows[4]["title"] and "confirmed" in rows[9]["title"],
          "the user's answer at the ME and in R1: confirmed")

    # each arrow appeared in its own step as its event arrived, in order
    steps = [s_ for s_ in page.js("return window.__steps") if s_]
    first = {}
    for i, keys in enumerate(steps):
        for k in keys:
            first.setdefault(k, i)
    check(all(set(steps[i - 1]) <= set(steps[i]) for i in range(1, len(steps))),
          "%d redraws, none lost a row" % len(steps))
    groups = []                               # rows of one event appear together
    for r in rows:
        if not groups or groups[-1][0] != r["seq"]:
            groups.append((r["seq"], []))
        groups[-1][1].append(r["key"])
    order = [min(first[k] for k in keys) for _, keys in groups]
    check(order == sorted(order), "rows appeared in the order of their events: steps %s" % order)
    after = [o for o, (seq, keys) in zip(order, groups)
             if seq > max(r["seq"] for r in rows[:BEFORE_ANSWER])]
    check(len(after) == len(set(after)) == len(FLOW) - BEFORE_ANSWER - 2,
          "after the answer each event drew its arrows in a step of its own (steps %s)" % after)
    page.screenshot(os.path.join(art, "timeline-desktop.png"))
    return tx_id


def lost_card(s, page, art):
    post_card(s.api.base, card_ini(*LOST_CARD, {"b00001": {"ir": "fixed:60"}}))
    tx_id = s.api.start(iccid=LOST_CARD[0], action="display-text", text="Anybody there?")
    page.wait(lambda: page.text("dia-h") == "Transaction %d" % tx_id, "follows transaction %d" % tx_id)
    tx = s.wait_final(tx_id, timeout=60)
    check(tx["state"] == "failed", "transaction %d failed: %s" % (tx_id, tx["why"]))
    page.wait_labels([label for label, _ in LOST_FLOW])
    rows = page.rows()
    check([(r["label"], r["kind"]) for r in rows] == LOST_FLOW, "retries and failure: %s" %
          [(r["label"], r["kind"]) for r in rows])
    colors = {r["kind"]: r["color"] for r in rows}
    check(len(set(colors.values())) == 3, "message, retry and failure each in its own colour: %s" % colors)
    page.screenshot(os.path.join(art, "timeline-failure.png"))
    return tx_id


def keyboard(page, flow_tx, lost_tx):
    page.js("document.activeElement.blur(); window.scrollTo(0, 0)")
    page.keys(Keys.TAB)
    check(page.js("return document.activeElement.className") == "skip", "Tab 1: the skip link")
    for _ in range(6):
        if page.active()["list"] == "tx-list":
            break
        page.keys(Keys.TAB)
    a = page.active()
    check(a["list"] == "tx-list" and a["role"] == "option" and a["key"] == str(lost_tx),
          "Tab reaches the chosen transaction in the list (#%s)" % a["key"])
    check(a["outline"] != "none" and a["width"] >= 2, "the focus is visible (outline %s %.0fpx)" %
          (a["outline"], a["width"]))
    page.keys(Keys.ARROW_DOWN)
    check(page.active()["key"] == str(flow_tx) and page.text("dia-h") == "Transaction %d" % lost_tx,
          "ArrowDown moves the focus to #%d without choosing it" % flow_tx)
    page.keys(Keys.ENTER)
    page.wait_labels([r[1] for r in FLOW])
    check(page.text("dia-h") == "Transaction %d" % flow_tx and page.js("return location.hash") == "#tx=%d" % flow_tx,
          "Enter chooses #%d: its diagram, and #tx=%d in the address" % (flow_tx, flow_tx))
    page.keys(Keys.HOME, Keys.SPACE)
    page.wait_labels([label for label, _ in LOST_FLOW])
    check(page.active()["key"] == str(lost_tx), "Home, Space: back to #%d" % lost_tx)
    page.keys(Keys.END, Keys.ENTER)
    page.wait_labels([r[1] for r in FLOW])
    # the card list: Tab on to it, Enter keeps only that card's transactions
    for _ in range(4):
        if page.active()["list"] == "card-list":
            break
        page.keys(Keys.TAB)
    check(page.active()["list"] == "card-list", "Tab reaches the card list")
    card = page.active()["key"]
    page.keys(Keys.ENTER)
    page.wait(lambda: len(page.js("return document.querySelectorAll('#tx-list li')")) == 1,
              "only the transactions of card %s" % card)
    page.keys(Keys.ENTER)
    page.wait(lambda: len(page.js("return document.querySelectorAll('#tx-list li')")) == 2, "the filter is off again")
    check(True, "Enter on card %s filters the transactions, again shows all" % card)


def phone(page, art):
    page.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    page.wait(lambda: page.js("return [...document.querySelectorAll('#seq .lane-label')].map(t => t.textContent)")
              == ["SV1", "SV2", "ME", "UICC"], "lane labels abbreviated at 390 px")
    m = page.js("""const s = document.getElementById('scroller'), side = document.querySelector('.side');
        return {inner: innerWidth, page: document.documentElement.scrollWidth, sw: s.scrollWidth, cw: s.clientWidth,
                overflow: getComputedStyle(s).overflowX, sideBottom: side.getBoundingClientRect().bottom,
                mainTop: document.getElementById('diagram').getBoundingClientRect().top,
                fonts: [...document.querySelectorAll('#seq text.label, #seq .lane-label')].map(
                    t => parseFloat(getComputedStyle(t).fontSize)),
                fit: [...document.querySelectorAll('#seq .lane')].every(
                    g => g.querySelector('text').getBBox().width < g.querySelector('rect').getBBox().width)};""")
    check(m["inner"] == 390 and m["page"] <= 390, "390 px wide: the page itself does not scroll sideways "
          "(scrollWidth %d)" % m["page"])
    check(m["overflow"] == "auto", "the diagram's box scrolls sideways on its own (%d px shown of %d)" %
          (m["cw"], m["sw"]))
    check(m["sideBottom"] <= m["mainTop"] + 1, "one column: the lists above the diagram")
    check(min(m["fonts"]) >= 12 and m["fit"], "labels stay readable: >= %.0f px, lane names inside their boxes" %
          min(m["fonts"]))
    check(len(page.rows()) == len(FLOW), "all %d rows drawn at phone width" % len(FLOW))
    page.js("document.getElementById('diagram').scrollIntoView()")
    page.screenshot(os.path.join(art, "timeline-phone.png"))
    # narrower still: the diagram no longer fits and scrolls inside its box, the page does not
    page.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 300, "height": 640, "deviceScaleFactor": 2, "mobile": True})
    page.wait(lambda: page.js("const s = document.getElementById('scroller'); return s.scrollWidth > s.clientWidth"),
              "the diagram wider than its box at 300 px")
    w = page.js("return [innerWidth, document.documentElement.scrollWidth]")
    check(w[0] == 300 and w[1] <= 300, "at 300 px only the diagram scrolls sideways (page %d px)" % w[1])
    page.d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def rfm(s, page, art):
    status, body = s.api.call("POST", "/v1/rfm", {"iccid": CARD[0], "tar": "b00010",
                                                  "apdus": ["a0a40000027f20", "a0c0000016"]})
    check(status == 201, "RFM operation started: %s %s" % (status, body))
    op_id = body["id"]
    page.wait(lambda: page.text("dia-h") == "Transaction %d" % op_id, "follows RFM operation %d" % op_id)
    page.wait_labels([r[0] for r in RFM_FLOW])
    rows = page.rows()
    check([(r["label"], r["from"], r["to"], r["kind"]) for r in rows] == RFM_FLOW,
          "RFM rows: %s" % [(r["label"], r["from"], r["to"], r["kind"]) for r in rows])
    check("POST /v1/rfm" in rows[0]["title"] and "2/2 executed · SW 9000" in rows[2]["title"] and
          "#2 9000 0000" in rows[3]["title"], "the request, the PoR's count and SW, the last R-APDU: %s" %
          [r["title"] for r in rows])
    page.wait(lambda: "completed" in page.text("tx-summary"), "operation %d completed" % op_id)
    summary = page.text("tx-summary")
    check("compact: a0a40000027f20 a0c0000016" in summary and "R-APDUs#2 9000" in summary,
          "the summary shows the script and the R-APDUs: %s" % summary)

    status, body = s.api.call("POST", "/v1/campaigns", {"name": "web", "tar": "b00010", "apdus": ["a0f2000016"],
                                                        "iccids": [CARD[0]], "rate": 50})
    check(status == 201, "campaign started: %s %s" % (status, body))
    camp = body["id"]
    page.wait(lambda: "web" in page.text("campaign-list") and "completed" in page.text("campaign-list") and
              "done 1" in page.text("campaign-list"), "the campaigns panel: web completed, done 1 (%s)" %
              page.text("campaign-list"))
    labels = ["request", "RFM script", "campaign %d: card active" % camp, "PoR + R-APDUs", "script done",
              "campaign %d: card done" % camp]
    page.wait_labels(labels)
    check(True, "the campaign's operation with the card's states: %s" % labels)
    page.screenshot(os.path.join(art, "timeline-rfm.png"))


def pages(s, page):
    """More cards than the page lists (the API's first page, 1 000): it says so."""
    bulk = [{"iccid": "8988239900000000%04d" % i} for i in range(1000)]
    status, body = s.api.call("POST", "/v1/cards", bulk)
    check(status == 201, "1 000 more cards registered: %s %s" % (status, body))
    check(page.js("return document.getElementById('cards-more').hidden"), "no note while every card is listed")
    page.d.get(s.api.base + "/")
    page.wait(lambda: not page.js("return document.getElementById('cards-more').hidden"), "the note on more cards")
    listed = page.js("return document.querySelectorAll('#card-list li').length")
    note = page.text("cards-more")
    check(listed == 1000 and note.startswith("the first 1000 shown"), "%d cards listed, then: %s" % (listed, note))
    check(page.js("return document.getElementById('tx-more').hidden"), "every transaction listed: no note")


def console_clean(page):
    bad = []
    for entry in page.d.get_log("browser"):
        msg = entry.get("message", "")
        if "Content Security Policy" in msg or "Refused to" in msg:
            bad.append(msg)
        elif entry.get("level") == "SEVERE" and "/v1/campaigns" not in msg:
            bad.append(msg)
    check(not bad, "the console has no CSP violation and no error (%s)" % bad)


def run():
    plugin, uicc_emu, server, art = sys.argv[1:5]
    os.makedirs(art, exist_ok=True)
    with Harness(plugin, uicc_emu) as h:
        s = Stack(h, {"uicc_emu": uicc_emu, "server": server})
        d = None
        try:
            s.start({"card0": card_ini(*CARD, {"b00001": {"ir": "fixed:60", "mg-address": "+15550100"}}) +
                     rfm_tar("b00010", "df-gsm")},
                    server_args=["--por-timeout-ms", "3000", "--max-attempts", "2"], taps=False)
            path = s.bring_up("card0")
            agent = HeldAgent(h.bus)
            h.iface(path, "org.ofono.SimToolkit").RegisterAgent(dbus.ObjectPath(agent.path))
            d = start_browser(h)
            page = Page(h, d)
            url = s.api.base + "/"
            d.get(url)
            page.wait(lambda: page.js("return document.getElementById('conn').className") == "conn live",
                      "subscribed to /v1/events")
            check(page.js("return document.getElementById('follow').checked"), "the page follows new transactions")
            campaigns = campaigns_of(s.api.base)
            if campaigns is None:
                page.wait(lambda: page.text("campaigns-empty").startswith("no campaigns"),
                          "'no campaigns' while GET /v1/campaigns is 404")
            else:
                page.wait(lambda: len(page.js("return document.querySelectorAll('#campaign-list li')")) ==
                          len(campaigns), "%d campaigns listed" % len(campaigns))
            check(True, "campaigns panel: %s" % ("no campaigns (404)" if campaigns is None else len(campaigns)))
            page.wait(lambda: CARD[0] in page.text("card-list"), "card %s listed" % CARD[0])

            flow_tx = deferred_flow(s, page, agent, art)
            lost_tx = lost_card(s, page, art)
            keyboard(page, flow_tx, lost_tx)
            phone(page, art)
            rfm(s, page, art)
            pages(s, page)
            console_clean(page)
        finally:
            if d is not None:
                d.quit()
            s.stop()


if __name__ == "__main__":
    main_wrapper(run)
