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

    def stop(self, timeout=5.0, sig=signal.SIGTERM):
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


def wait_path(path, proc=None, timeout=10.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if os.path.exists(path):
            return
        if proc is not None and not proc.alive():
            raise HarnessError("%s exited (status %s) before creating %s" % (proc.name, proc.popen.returncode, path))
        time.sleep(0.02)
    raise HarnessError("timeout waiting for %s" % path)


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
        wait_path(sock, p)
        self.bus = dbus.bus.BusConnection(self.bus_address)
        return self.bus

    # ---- cards -------------------------------------------------------------

    def start_card(self, name, config_text=None, config_path=None, verbose=True, extra_args=None):
        """Starts uicc-emu serving one card on TMP/NAME.sock; returns the socket path.
        extra_args (kept for restart_card): more uicc-emu options."""
        if self.uicc_emu is None:
            raise HarnessError("no uicc-emu binary given")
        cfg = self.path(name + ".ini")
        if name not in self.cards:
            if config_text is None:
                with open(config_path) as f:
                    config_text = f.read()
            with open(cfg, "w") as f:
                f.write(config_text)
            os.chmod(cfg, 0o600)
        sock = self.path(name + ".sock")
        state = self.path(name + ".state")
        if extra_args is None:
            extra_args = self.cards.get(name, {}).get("extra_args", [])
        argv = [self.uicc_emu] + (["-v"] if verbose else []) + ["--config", cfg, "--state", state,
                                                                "--listen", "unix:" + sock] + list(extra_args)
        p = self.start_process("uicc-emu-" + name, argv)
        wait_path(sock, p)
        self.cards[name] = {"proc": p, "sock": sock, "config": cfg, "state": state, "extra_args": list(extra_args)}
        return sock

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
        self.wait_for(lambda: self.name_has_owner(OFONO), 15, "org.ofono on the bus")
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

    def wait_for(self, predicate, timeout, what):
        end = time.monotonic() + timeout
        last_exc = None
        while time.monotonic() < end:
            try:
                v = predicate()
                if v:
                    return v
            except dbus.exceptions.DBusException as e:
                last_exc = e
            if self.ofonod is not None and not self.ofonod.alive():
                raise HarnessError("ofonod exited (status %s) while waiting for %s" %
                                   (self.ofonod.popen.returncode, what))
            self.iterate(0.05)
        raise HarnessError("timeout (%.0f s) waiting for %s%s" % (timeout, what,
                                                                 (": last error %s" % last_exc) if last_exc else ""))

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

    def power_up(self, path, online=False, timeout=20):
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

    def sim_ready(self, path, pin=None, timeout=20):
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
    if not cond:
        raise AssertionError(what)
    log("ok: %s" % what)


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
