# SPDX-License-Identifier: GPL-2.0-or-later
"""End-to-end harness: the real ofonod with the stkbridge plugin, isolated.

Everything runs in a temp dir and is started, and stopped, by PID:

  - a private dbus-daemon with a system-bus-like config that includes
    /etc/dbus-1/system.d/ofono.conf; its address goes to the children in
    DBUS_SYSTEM_BUS_ADDRESS and to our own client connection;
  - uicc-emu cards (--listen unix:TMP/NAME.sock);
  - optional extra daemons (ota-test-server, ...) through start_process();
  - `ofonod -n -d -p stkbridge` inside `unshare -m`: in that private mount
    namespace the temp plugin dir is bind-mounted over /usr/lib/ofono/plugins
    (when the directory does not exist, an overlay on /usr/lib adds it, in
    the namespace only) and a temp dir over /var/lib/ofono; STKBRIDGE_CONFIG
    names a generated config.

The host's bus, plugin dir and oFono state are never touched.  The harness is
a context manager: on exit it stops everything it started (SIGTERM, then
SIGKILL), even when the test failed, and on failure it prints ofonod's log
and the other daemons' logs.

Needs Debian's python3-dbus and python3-gi (run with /usr/bin/python3), and
root (unshare -m, mount).
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import dbus
import dbus.mainloop.glib
import dbus.service
from gi.repository import GLib

sys.dont_write_bytecode = True

OFONO = "org.ofono"
OFONO_PLUGIN_DIR = "/usr/lib/ofono/plugins"
OFONO_STATE_DIR = "/var/lib/ofono"
OFONO_BUS_POLICY = "/etc/dbus-1/system.d/ofono.conf"

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <deny own="*"/>
    <deny send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_requested_reply="true" send_type="method_return"/>
    <allow send_requested_reply="true" send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
    <allow receive_type="signal"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Introspectable"/>
    <allow send_destination="org.freedesktop.DBus" send_interface="org.freedesktop.DBus.Properties"/>
  </policy>
  <!-- the test's own agent object (root) -->
  <policy user="root">
    <allow own_prefix="org.stkbridge.test"/>
  </policy>
  <include>{ofono_policy}</include>
</busconfig>
"""

# Mounts done by `sh` inside `unshare -m`, then exec ofonod.  Arguments:
# $1 plugin dir, $2 state dir, $3 overlay scratch dir.
OFONOD_WRAPPER = r"""
set -e
mount --make-rprivate /
if [ ! -d /usr/lib/ofono/plugins ]; then
	# the mount point does not exist on the host: add it with an overlay on /usr/lib,
	# visible in this mount namespace only
	mkdir -p "$3/upper/ofono/plugins" "$3/work"
	mount -t overlay overlay -o "lowerdir=/usr/lib,upperdir=$3/upper,workdir=$3/work" /usr/lib
fi
mount --bind "$1" /usr/lib/ofono/plugins
if [ ! -d /var/lib/ofono ]; then
	echo "harness: /var/lib/ofono missing on the host" >&2
	exit 2
fi
mount --bind "$2" /var/lib/ofono
shift 3
exec "$@"
"""


def log(msg):
    sys.stdout.write("# %s\n" % msg)
    sys.stdout.flush()


class HarnessError(Exception):
    pass


# ---- waiting for a state, and messages that never raise ------------------------------------
#
# A test waits for the state it then asserts, never for a moment: wait_until() polls a probe
# that reads the state (a D-Bus property, a file, the server's API, a log) until the value read
# is the one wanted; stays() asserts that a state holds for a whole window (the only honest way
# to say "nothing happened": a negative needs a window, and the window is named as such).
# A check message may read data that is absent exactly when the check fails: check() takes the
# message as a callable and builds it only here, where an exception cannot hide the failure.

# What a probe may raise while the state it reads is not there yet: a D-Bus object or
# interface not there (yet), a file or socket not there (yet), a JSON document half written,
# a key or an element not there (yet).  Anything else is a bug in the test and propagates.
NOT_YET = (dbus.exceptions.DBusException, OSError, ValueError, LookupError)

_NOTHING = object()


def shown(value, limit=600):
    """repr(value) for a message, shortened; never raises."""
    try:
        text = repr(value)
    except Exception as e:  # a value whose repr fails is still reported
        return "<%s, repr raised %s>" % (type(value).__name__, type(e).__name__)
    return text if len(text) <= limit else "%s...(%d chars)" % (text[:limit], len(text))


def _last_seen(last, last_exc):
    out = ""
    if last is not _NOTHING:
        out += "; last value read: %s" % shown(last)
    if last_exc is not None:
        out += "; last error: %s: %s" % (type(last_exc).__name__, shown(str(last_exc), 300))
    return out


def wait_until(probe, timeout, what, until=None, pump=None, abort=None, interval=0.05):
    """Polls probe() until the state it reads is the wanted one; returns the value read.

    until(value) says whether it is (default: the value is truthy).  A probe (or until)
    raising NOT_YET reads "not yet"; other exceptions propagate.  pump(seconds) passes the
    time between polls (default time.sleep; the harness runs its GLib main loop).  abort()
    returns why waiting is pointless (a daemon died) or None.  On timeout: HarnessError
    naming what was awaited, the timeout, the last value read and the last error."""
    end = time.monotonic() + timeout
    last, last_exc = _NOTHING, None
    while True:
        try:
            value = probe()
            last = value
            if (until(value) if until is not None else value):
                return value
        except NOT_YET as e:
            last_exc = e
        reason = abort() if abort is not None else None
        if reason:
            raise HarnessError("%s while waiting for %s%s" % (reason, what, _last_seen(last, last_exc)))
        if time.monotonic() >= end:
            raise HarnessError("timeout (%.0f s) waiting for %s%s" % (timeout, what, _last_seen(last, last_exc)))
        (pump or time.sleep)(interval)


def stays(probe, seconds, what, pump=None, interval=0.05):
    """Asserts that probe() reads true at every poll for `seconds` (from now); returns the last
    value.  For "nothing happened": a negative can only be observed over a window."""
    end = time.monotonic() + seconds
    while True:
        try:
            value = probe()
        except NOT_YET as e:
            raise AssertionError("%s: could not be read: %s: %s" % (what, type(e).__name__, shown(str(e), 300)))
        if not value:
            raise AssertionError("%s: no longer true %.2f s into the %.1f s window (read %s)" %
                                 (what, seconds - (end - time.monotonic()), seconds, shown(value)))
        if time.monotonic() >= end:
            log("ok: %s (held %.1f s)" % (what, seconds))
            return value
        (pump or time.sleep)(interval)


def message(what):
    """The text of a check message: a str, or a callable building it (never raises)."""
    if not callable(what):
        return str(what)
    try:
        return str(what())
    except Exception as e:
        return "<the message raised %s: %s>" % (type(e).__name__, shown(e, 300))


class Process:
    def __init__(self, name, argv, log_path, env=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        out = open(log_path, "ab")
        self.popen = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                      stdin=subprocess.DEVNULL, start_new_session=True)
        out.close()
        self.pid = self.popen.pid

    def alive(self):
        return self.popen.poll() is None

    def stop(self, timeout=10.0, sig=signal.SIGTERM):
        """Stops this process by its PID: sig, then SIGKILL after timeout."""
        if not self.alive():
            return self.popen.returncode
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            log("%s (pid %d) did not stop: SIGKILL" % (self.name, self.pid))
            os.kill(self.pid, signal.SIGKILL)
            return self.popen.wait(5)

    def kill9(self):
        if self.alive():
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(5)

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""


def connects(path):
    """True once a daemon accepts connections on the unix socket path (the file exists from
    bind(), connections are refused until listen()); the probe connection is closed at once."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
    return True


def wait_socket(path, proc=None, timeout=30.0):
    """Waits until a daemon accepts connections on the unix socket path; fails at once if
    proc exited."""
    def died():
        if proc is not None and not proc.alive():
            return "%s exited (status %s)" % (proc.name, proc.popen.returncode)
        return None
    wait_until(lambda: connects(path), timeout, "%s accepting connections" % path, abort=died, interval=0.02)


class Harness:
    """with Harness(plugin=..., uicc_emu=...) as h: ..."""

    def __init__(self, plugin, uicc_emu=None, keep=False):
        self.plugin = os.path.abspath(plugin)
        self.uicc_emu = uicc_emu
        self.keep = keep or os.environ.get("STKBRIDGE_E2E_KEEP") == "1"
        self.tmp = tempfile.mkdtemp(prefix="stkbridge-e2e-")
        os.chmod(self.tmp, 0o700)
        self.procs = []          # started order
        self.bus = None
        self.bus_address = None
        self.ofonod = None
        self.cards = {}          # name -> dict(proc, sock, config, state)
        dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
        self.loop = GLib.MainLoop()

    # ---- context manager ---------------------------------------------------

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None:
            log("test failed: %s: %s" % (exc_type.__name__, exc))
            self.dump_logs()
        self.stop_all()
        if not self.keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            log("kept %s" % self.tmp)
        return False

    def dump_logs(self):
        for p in self.procs:
            text = p.log_text()
            sys.stdout.write("# ---- log of %s (pid %d) ----\n" % (p.name, p.pid))
            for line in text.splitlines()[-400:]:
                sys.stdout.write("#   %s\n" % line)
        sys.stdout.flush()

    def stop_all(self):
        if self.bus is not None:
            try:
                self.bus.close()
            except Exception:
                pass
            self.bus = None
        for p in reversed(self.procs):
            try:
                p.stop()
            except Exception as e:  # keep stopping the others
                log("stopping %s: %s" % (p.name, e))

    def path(self, name):
        return os.path.join(self.tmp, name)

    def child_env(self):
        env = dict(os.environ)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        if self.bus_address:
            env["DBUS_SYSTEM_BUS_ADDRESS"] = self.bus_address
        return env

    def start_process(self, name, argv, env=None):
        p = Process(name, argv, self.path(name + ".log"), env=env or self.child_env())
        self.procs.append(p)
        shown = ["<mount-wrapper>" if a == OFONOD_WRAPPER else a for a in argv]
        log("started %s (pid %d): %s" % (name, p.pid, " ".join(shown)))
        return p

    # ---- the bus -----------------------------------------------------------

    def start_bus(self):
        sock = self.path("system_bus_socket")
        conf = self.path("bus.conf")
        with open(conf, "w") as f:
            f.write(BUS_CONFIG.format(socket=sock, ofono_policy=OFONO_BUS_POLICY))
        self.bus_address = "unix:path=" + sock
        p = self.start_process("dbus-daemon", ["dbus-daemon", "--config-file=" + conf, "--nofork", "--nopidfile"])
        wait_socket(sock, p)
        self.bus = dbus.bus.BusConnection(self.bus_address)
        return self.bus

    # ---- cards -------------------------------------------------------------

    def uicc_emu_argv(self, name, config_text=None, config_path=None, verbose=True, extra_args=()):
        """uicc-emu's command line for card NAME (TMP/NAME.ini, written the first time with mode 600, its
        .state and its .sock) and a dict of those paths."""
        if self.uicc_emu is None:
            raise HarnessError("no uicc-emu binary given")
        files = {"config": self.path(name + ".ini"), "sock": self.path(name + ".sock"),
                 "state": self.path(name + ".state")}
        if name not in self.cards:
            if config_text is None:
                with open(config_path) as f:
                    config_text = f.read()
            with open(files["config"], "w") as f:
                f.write(config_text)
            os.chmod(files["config"], 0o600)
        argv = [self.uicc_emu] + (["-v"] if verbose else []) + [
            "--config", files["config"], "--state", files["state"], "--listen", "unix:" + files["sock"]]
        return argv + list(extra_args), files

    def start_card(self, name, config_text=None, config_path=None, verbose=True, extra_args=None):
        """Starts uicc-emu serving one card on TMP/NAME.sock; returns the socket path.
        extra_args (kept for restart_card): more uicc-emu options."""
        if extra_args is None:
            extra_args = self.cards.get(name, {}).get("extra_args", [])
        argv, files = self.uicc_emu_argv(name, config_text, config_path, verbose, extra_args)
        p = self.start_process("uicc-emu-" + name, argv)
        wait_socket(files["sock"], p)
        self.cards[name] = dict(files, proc=p, extra_args=list(extra_args))
        return files["sock"]

    def stop_card(self, name, kill9=False):
        c = self.cards[name]
        if kill9:
            c["proc"].kill9()
        else:
            c["proc"].stop()
        if os.path.exists(c["sock"]) and kill9:
            pass  # a stale socket is replaced by the next uicc-emu

    def restart_card(self, name):
        return self.start_card(name)

    # ---- ofonod ------------------------------------------------------------

    def write_config(self, text):
        path = self.path("stkbridge.conf")
        with open(path, "w") as f:
            f.write(text)
        return path

    def start_emu_modem(self, sock, network):
        """ofonod with one modem, its card on uicc-emu's unix socket sock and Network=network
        (netsim:tcp:HOST:PORT, ...); returns the modem's path once oFono has it."""
        self.start_ofonod("[modem0]\nUicc=emu:unix:%s\nNetwork=%s\n" % (sock, network))
        return self.wait_for(lambda: list(self.modems()), 30, "a modem")[0]

    def start_ofonod(self, config_text, debug=True):
        plugins = self.path("plugins")
        state = self.path("ofono-state")
        scratch = self.path("overlay")
        for d in (plugins, state, scratch):
            os.makedirs(d, exist_ok=True)
        shutil.copy2(self.plugin, os.path.join(plugins, "stkbridge.so"))
        env = self.child_env()
        env["STKBRIDGE_CONFIG"] = self.write_config(config_text)
        env["G_DEBUG"] = env.get("G_DEBUG", "")
        cmd = ["ofonod", "-n", "-p", "stkbridge"]
        if debug:
            cmd.insert(2, "-d")
        argv = ["unshare", "-m", "--", "/bin/sh", "-c", OFONOD_WRAPPER, "ofonod-wrapper",
                plugins, state, scratch] + cmd
        self.ofonod = self.start_process("ofonod", argv, env=env)
        self.wait_for(lambda: self.name_has_owner(OFONO), 30, "org.ofono on the bus")
        return self.ofonod

    def stop_ofonod(self, kill9=False):
        if self.ofonod is None:
            return
        if kill9:
            self.ofonod.kill9()
        else:
            self.ofonod.stop()

    def ofonod_log(self):
        return self.ofonod.log_text() if self.ofonod else ""

    # ---- D-Bus helpers -----------------------------------------------------

    def name_has_owner(self, name):
        return bool(self.bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus").NameHasOwner(
            name, dbus_interface="org.freedesktop.DBus"))

    def iterate(self, seconds=0.05):
        """Runs the GLib main loop (D-Bus signals, agent calls) for a while."""
        ctx = GLib.MainContext.default()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not ctx.iteration(False):
                time.sleep(0.005)

    def ofonod_died(self):
        if self.ofonod is not None and not self.ofonod.alive():
            return "ofonod exited (status %s)" % self.ofonod.popen.returncode
        return None

    def wait_ready(self, proc, needle, timeout=30):
        """Waits until needle is in proc's log (a daemon saying it is ready); fails at once if
        proc exited."""
        def died():
            return None if proc.alive() else "%s exited (status %s)" % (proc.name, proc.popen.returncode)
        wait_until(lambda: needle in proc.log_text(), timeout, "%r in %s's log" % (needle, proc.name),
                   abort=died)

    def wait_for(self, probe, timeout, what, until=None):
        """wait_until() running the GLib main loop between polls (D-Bus signals, agent
        calls); fails at once if ofonod died.  Returns the value read."""
        return wait_until(probe, timeout, what, until=until, pump=self.iterate, abort=self.ofonod_died)

    def stays(self, probe, seconds, what):
        """stays() running the GLib main loop between polls."""
        return stays(probe, seconds, what, pump=self.iterate)

    def iface(self, path, interface):
        return dbus.Interface(self.bus.get_object(OFONO, path), interface)

    def modems(self):
        mgr = self.iface("/", "org.ofono.Manager")
        return {str(p): props for p, props in mgr.GetModems()}

    def props(self, path, interface):
        return self.iface(path, interface).GetProperties()

    def set_prop(self, path, interface, name, value):
        self.iface(path, interface).SetProperty(name, value, timeout=30)

    def interfaces(self, path):
        return [str(i) for i in self.props(path, "org.ofono.Modem").get("Interfaces", [])]

    def power_up(self, path, online=False, timeout=30):
        self.set_prop(path, "org.ofono.Modem", "Powered", dbus.Boolean(True))
        self.wait_for(lambda: self.props(path, "org.ofono.Modem").get("Powered"), timeout, path + " powered")
        if online:
            self.wait_for(lambda: "org.ofono.SimManager" in self.interfaces(path), timeout, "SimManager")
            self.set_prop(path, "org.ofono.Modem", "Online", dbus.Boolean(True))
            self.wait_for(lambda: self.props(path, "org.ofono.Modem").get("Online"), timeout, path + " online")

    def record_signals(self, interface, member):
        """Returns a list that fills with (object path, args) of each such signal from oFono."""
        got = []
        self.bus.add_signal_receiver(lambda *args, **kw: got.append((str(kw["path"]), args)),
                                     dbus_interface=interface, signal_name=member, bus_name=OFONO,
                                     path_keyword="path")
        return got

    def sim_ready(self, path, pin=None, timeout=30):
        """Waits for the SIM, enters the PIN if asked, waits for the IMSI; returns it."""
        self.wait_for(lambda: "org.ofono.SimManager" in self.interfaces(path), timeout, "SimManager")
        self.wait_for(lambda: self.props(path, "org.ofono.SimManager").get("Present"), timeout, "SIM present")
        # PinRequired reads "none" until the PIN state is known: wait for a PIN request or the IMSI
        def state():
            p = self.props(path, "org.ofono.SimManager")
            if p.get("SubscriberIdentity"):
                return "ready"
            return "pin" if str(p.get("PinRequired")) == "pin" else None
        if self.wait_for(state, timeout, "PIN request or IMSI") == "pin":
            if pin is None:
                raise HarnessError("the SIM wants a PIN")
            self.iface(path, "org.ofono.SimManager").EnterPin("pin", pin, timeout=30)
        return str(self.wait_for(lambda: self.props(path, "org.ofono.SimManager").get("SubscriberIdentity"),
                                 timeout, "IMSI"))


class TestAgent(dbus.service.Object):
    """A minimal org.ofono.SimToolkitAgent recording what oFono asks it."""

    def __init__(self, bus, path="/org/stkbridge/test/agent", answers=None):
        super().__init__(bus, path)
        self.path = path
        self.calls = []
        self.answers = answers or {}

    def _record(self, method, *args):
        self.calls.append((method,) + tuple(args))
        log("agent: %s%r" % (method, tuple(args)))
        err = self.answers.get(method)
        if err:
            raise dbus.exceptions.DBusException(err, name=err)

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="syb", out_signature="")
    def DisplayText(self, text, icon, urgent):
        self._record("DisplayText", str(text), int(icon), bool(urgent))

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="sysyyb", out_signature="s")
    def RequestInput(self, alpha, icon, default, min_len, max_len, hide):
        self._record("RequestInput", str(alpha), str(default), int(min_len), int(max_len))
        return self.answers.get("RequestInput.text", "ok")

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="sya(sy)n", out_signature="y")
    def RequestSelection(self, title, icon, items, default):
        self._record("RequestSelection", str(title), [(str(t), int(i)) for t, i in items], int(default))
        return dbus.Byte(self.answers.get("RequestSelection.item", 0))

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="", out_signature="")
    def Release(self):
        self._record("Release")

    @dbus.service.method("org.ofono.SimToolkitAgent", in_signature="", out_signature="")
    def Cancel(self):
        self._record("Cancel")

    def register(self, harness, modem_path):
        harness.iface(modem_path, "org.ofono.SimToolkit").RegisterAgent(dbus.ObjectPath(self.path))

    def names(self):
        return [c[0] for c in self.calls]


def sw_accepted(line):
    """A uicc-emu APDU log line whose status word says the card accepted the command: 9000, or 91XX when a
    proactive command waits (card0's SET UP MENU until oFono fetches it)."""
    return "-> 9000 " in line or re.search(r"-> 91[0-9a-fA-F]{2} ", line) is not None


def check(cond, what):
    """Asserts cond.  what: the message, a str literal or a callable building it from the data
    checked (built only here, so reading what is absent when cond fails cannot raise instead)."""
    text = message(what)
    if not cond:
        raise AssertionError(text)
    log("ok: %s" % text)


def enter_namespaces(marker, tools=(), skip_code=77):
    """Runs this test script again inside private mount, network and PID namespaces and returns
    there (the outer process exits with the inner one's status).  In them the loopback is up and
    nothing else is reachable: abstract unix sockets (qmi-proxy), TCP ports and mounts are the
    test's own, and when the script ends the PID namespace takes every process left with it.
    marker: the environment variable that says "inside" (one per kind of test environment);
    tools: programs the test needs (skipped, exit 77, without one)."""
    if os.environ.get(marker) == "1":
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        return
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (unshare --mount --net --pid, mount)", flush=True)
        sys.exit(skip_code)
    for prog in ("unshare", "ip", "ofonod", "dbus-daemon") + tuple(tools):
        if not shutil.which(prog) and not os.path.exists("/usr/sbin/" + prog):
            print("1..0 # SKIP %s not installed" % prog, flush=True)
            sys.exit(skip_code)
    env = dict(os.environ, **{marker: "1"})
    cmd = ["unshare", "--mount", "--net", "--pid", "--fork", "--mount-proc", "--propagation", "private",
           sys.executable] + sys.argv
    sys.exit(subprocess.run(cmd, env=env).returncode)


def main_wrapper(fn):
    """Runs fn(); exit status 0 / 1, 77 (skipped) when the environment cannot run the test."""
    if os.geteuid() != 0:
        print("1..0 # SKIP needs root (unshare -m, mount)")
        sys.exit(77)
    for tool in ("ofonod", "dbus-daemon", "unshare"):
        if shutil.which(tool) is None:
            print("1..0 # SKIP %s not installed" % tool)
            sys.exit(77)
    try:
        fn()
    except Exception as e:
        import traceback
        traceback.print_exc(file=sys.stdout)
        print("FAIL: %s" % e)
        sys.exit(1)
    print("PASS")
    sys.exit(0)
