#!/usr/bin/env python3
"""Replays a Linux guest's uevents for its channel consoles through the
installed udev rule and the helper (tests/udev/udevsim.py has the models),
with channels attached and detached by the real xl-channel on the
simulated host, and checks the links: after every event handled, no link
names a tty other than its channel's (a link whose channel's unbind is
still queued is the kernel's doing, not the helper's, and is left out);
at the end of each case, exactly the links expected.

Environment: XCH_OUT (build output), XCH_REPLAY_DIR (a private directory),
XCH_DOMID (the guest), XENSTORED_PATH (dom0's), XCH_GUEST_XENSTORED_PATH
(the guest's bridge). XCH_UDEV_RULES and XCH_UDEV_HELPER replace the rule
file and the helper (to run the replay against other versions).
"""

import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from udevsim import Guest, Udev  # noqa: E402


OUT = os.environ["XCH_OUT"]
WORK = os.environ["XCH_REPLAY_DIR"]
DOMID = os.environ["XCH_DOMID"]
XLCH = os.path.join(OUT, "bin/xl-channel")
RULES = os.environ.get("XCH_UDEV_RULES",
                       os.path.join(OUT, "udev/60-xen-channel.rules"))
HELPER = os.environ.get("XCH_UDEV_HELPER",
                        os.path.join(OUT, "bin/xen-channel-helper"))
LINK_DIRS = ("xen-channels", "xen-channel")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, name, ok, detail=""):
        self.n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", self.n, name))
        if not ok:
            self.failed += 1
            for line in detail.splitlines():
                print("# " + line)
        sys.stdout.flush()


class World:
    """One guest: its kernel (modelled), its udev (modelled), the real
    helper, and its channels in the real xenstore."""

    def __init__(self):
        self.root = os.path.join(WORK, "guest")
        self.dev = os.path.join(self.root, "dev")
        self.run = os.path.join(self.root, "run/xen-channel")
        self.guest = Guest(self.root)
        self.names = {}  # devid -> channel name, as attached
        self.bad = []    # invariant violations seen
        self.udev = None
        self.runs = []   # (action, devpath, command, status, stderr)
        self.new_udev()

    def new_udev(self):
        if self.udev:
            self.runs += self.udev.log
        os.makedirs(os.path.dirname(self.run), exist_ok=True)
        os.makedirs(self.dev, exist_ok=True)
        with open(RULES) as f:
            text = f.read()
        env = {"XENSTORED_PATH": os.environ["XCH_GUEST_XENSTORED_PATH"]}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        self.udev = Udev(text, HELPER,
                         ["--sysfs", self.guest.sys, "--dev", self.dev,
                          "--run", self.run, "--stderr"], env)

    # -- the host side, through the real toolstack ----------------------
    def listing(self):
        p = subprocess.run(
            ["xenstore-list", "/local/domain/%s/device/console" % DOMID],
            capture_output=True, text=True, check=False)
        return [int(x) for x in p.stdout.split()]

    def attach(self, name, devid=None):
        """xl-channel attach; returns the devid the toolstack chose."""
        before = set(self.listing())
        spec = "connection=pty,name=" + name
        if devid is not None:
            spec += ",devid=%d" % devid
        subprocess.run([XLCH, "attach", DOMID, spec], check=True,
                       capture_output=True)
        (new,) = set(self.listing()) - before
        self.names[new] = name
        return new

    def attach_by_hand(self, name, devid):
        """What a toolstack that does not check devids would write (ours
        refuses a devid sharing its last digit with another's): the
        frontend keys the guest reads."""
        fe = "/local/domain/%s/device/console/%d" % (DOMID, devid)
        subprocess.run(["xenstore-write", fe + "/name", name,
                        fe + "/backend-id", "0", fe + "/state", "1"],
                       check=True, capture_output=True)
        self.names[devid] = name
        return devid

    def detach(self, devid):
        subprocess.run([XLCH, "detach", "--force", DOMID, str(devid)],
                       check=True, capture_output=True)

    def plug(self, name, devid=None):
        devid = self.attach(name, devid)
        self.guest.hotplug(devid)
        return devid

    def unplug(self, devid):
        self.detach(devid)
        self.guest.unplug(devid)

    def reboot(self):
        """Reboot or kexec: a new kernel probes in xenstore's order; /run
        and /dev are fresh tmpfs and udevd starts with no database."""
        for d in (self.dev, os.path.dirname(self.run)):
            shutil.rmtree(d, ignore_errors=True)
        self.guest.boot(self.listing())
        self.new_udev()

    # -- udev -------------------------------------------------------------
    def deliver(self, devid=None):
        ev = self.guest.next_event(devid)
        self.udev.process(ev)
        self.check_links(ev)

    def settle(self):
        while self.guest.queue:
            self.deliver()

    def links(self, d=LINK_DIRS[0]):
        path = os.path.join(self.dev, d)
        if not os.path.isdir(path):
            return {}
        return {n: os.readlink(os.path.join(path, n))
                for n in os.listdir(path)}

    def release_queued(self, name):
        for ev in self.guest.queue:
            devid = int(ev["DEVPATH"].rsplit("-", 1)[1])
            if ev["ACTION"] in ("unbind", "remove") and \
                    self.names.get(devid) == name:
                return True
        return False

    def check_links(self, ev):
        for d in LINK_DIRS:
            for name, target in self.links(d).items():
                m = re.fullmatch(r"\.\./hvc(\d+)", target)
                owner = self.guest.tty_owner(int(m.group(1))) if m else None
                if owner is not None and self.names.get(owner) == name:
                    continue
                if self.release_queued(name):
                    continue
                self.bad.append("after %s %s (seq %s): %s/%s -> %s, the tty "
                                "of %s" % (ev["ACTION"], ev["DEVPATH"],
                                           ev["SEQNUM"], d, name, target,
                                           self.names.get(owner, "nobody")))

    # -- expectations ---------------------------------------------------
    def expected(self, want):
        """want: name -> hvc slot; exactly these links, in both dirs."""
        want = {n: "../hvc%d" % s for n, s in want.items()}
        bad = []
        for d in LINK_DIRS:
            got = self.links(d)
            if got != want:
                bad.append("%s: got %s, want %s" % (d, got, want))
        return bad

    def truth(self):
        """name -> the slot of its tty, for every channel that has one."""
        return {self.names[d]: self.guest.tty_of(d)
                for d in self.guest.devices
                if self.guest.tty_of(d) is not None}

    def helper_log(self):
        return "".join(entry[4] for entry in self.udev.log)

    def take_violations(self):
        bad, self.bad = self.bad, []
        return bad


def expect_links(tap, w, name, want):
    bad = w.expected(want) + w.take_violations()
    tap.check(name, not bad, "\n".join(bad + ["helper log:", w.helper_log()]))


def expect_log(tap, w, name, pattern):
    log = w.helper_log()
    tap.check(name, re.search(pattern, log) is not None,
              "no line matching %r in:\n%s" % (pattern, log))


def hotplug_in_order(tap, w):
    a, b, c = (w.plug(n) for n in ("org.a", "org.b", "org.c"))
    w.settle()
    tap.check("hot-plug: the toolstack gives devids 1, 2, 3 in order",
              (a, b, c) == (1, 2, 3))
    tap.check("hot-plug: the kernel gives console-N the slot hvcN",
              w.truth() == {"org.a": 1, "org.b": 2, "org.c": 3})
    expect_links(tap, w, "hot-plug in devid order: each link names its "
                 "channel's tty", {"org.a": 1, "org.b": 2, "org.c": 3})


def detach_and_reattach(tap, w):
    w.unplug(1)
    w.settle()
    expect_links(tap, w, "detach (add, bind, unbind, remove): the link is "
                 "gone, the others stay", {"org.b": 2, "org.c": 3})
    a = w.plug("org.a")
    w.settle()
    tap.check("re-attach: the toolstack reuses devid 1, the kernel slot 1",
              a == 1 and w.truth()["org.a"] == 1)
    expect_links(tap, w, "re-attach: the link is back, on its tty",
                 {"org.a": 1, "org.b": 2, "org.c": 3})


def explicit_gap(tap, w):
    w.plug("org.e", devid=5)
    w.settle()
    tap.check("explicit devid 5 after 1-3: the kernel gives it hvc4",
              w.truth()["org.e"] == 4)
    d = w.plug("org.d")
    w.settle()
    tap.check("then devid 4 (lowest free) gets hvc5",
              d == 4 and w.truth()["org.d"] == 5)
    expect_links(tap, w, "a devid gap: each link names its channel's tty, "
                 "not hvc<devid>",
                 {"org.a": 1, "org.b": 2, "org.c": 3, "org.e": 4, "org.d": 5})


def reprobe_after_reattach(tap, w):
    w.reboot()
    tap.check("reboot: the kernel probes in xenstore's order (creation "
              "order): console-1 after console-3",
              w.listing() == [2, 3, 1, 5, 4] and w.truth() == {
                  "org.b": 1, "org.c": 2, "org.a": 3, "org.e": 4, "org.d": 5})
    f = w.plug("org.f")  # hot-plugged before the coldplug runs
    w.settle()
    expect_links(tap, w, "a hot-plug before coldplug: no link while the "
                 "channels probed at boot are not known", {})
    w.guest.coldplug()
    w.settle()
    expect_links(tap, w, "re-probe after re-attach, then coldplug (add "
                 "only): each link names its channel's tty",
                 {"org.b": 1, "org.c": 2, "org.a": 3, "org.e": 4, "org.d": 5,
                  "org.f": 6})
    w.unplug(f)
    w.settle()


BOOTED = {"org.b": 1, "org.c": 2, "org.a": 3, "org.e": 4, "org.d": 5}


def parallel_workers(tap, w):
    f, g = w.attach("org.f"), w.attach("org.g")
    w.guest.hotplug(f)
    w.guest.hotplug(g)
    # Workers take console-7's events before console-6's.
    w.deliver(g)
    w.deliver(g)
    expect_links(tap, w, "parallel workers: console-7's bind first: no link "
                 "for it yet", BOOTED)
    expect_log(tap, w, "... and the helper says what it waits for",
               r"console-7 \(org\.g\): no link yet: console-6 is bound")
    w.settle()
    expect_links(tap, w, "parallel workers: console-6's bind completes both",
                 dict(BOOTED, **{"org.f": 6, "org.g": 7}))


def add_before_probe(tap, w):
    w.unplug(6)
    w.unplug(7)
    w.settle()
    f = w.attach("org.f")
    w.guest.register(f)
    w.deliver()  # add, handled before the probe
    w.guest.probe(f)
    w.settle()
    expect_links(tap, w, "add handled before the probe, then bind: linked",
                 dict(BOOTED, **{"org.f": 6}))


def concurrent_helpers(tap, w):
    g = w.attach("org.g")
    w.guest.hotplug(g)
    w.deliver(g)  # its add
    h = w.attach("org.h", devid=8)
    w.guest.hotplug(h)
    w.deliver(h)
    evs = [w.guest.next_event(g), w.guest.next_event(h)]
    status = w.udev.process_at_once(evs)
    w.check_links(evs[1])
    tap.check("two binds handled at once: both helpers succeed",
              status == [0, 0], w.helper_log())
    tap.check("the eighth channel gets hvc8, which has no tty",
              w.guest.devices[h].hp.index == 8)
    expect_links(tap, w, "... the seventh is linked, the eighth is not",
                 dict(BOOTED, **{"org.f": 6, "org.g": 7}))
    expect_log(tap, w, "... and the helper says why",
               r"console-8 \(org\.h\): no link: Linux gave it hvc slot 8, "
               r"and only hvc0 to hvc7 are ttys")
    for devid in (h, g, 6):
        w.unplug(devid)
    w.settle()


def probe_while_closing(tap, w):
    w.detach(5)
    w.guest.close(5)  # console-5 (org.e) closes: hvc4 is free
    x = w.attach("org.x", devid=9)
    w.guest.hotplug(x)  # takes hvc4 before console-5 is unbound
    w.guest.unregister(5)
    w.settle()
    tap.check("a probe while another closes: the kernel gives it the freed "
              "hvc4", w.truth().get("org.x") == 4)
    expect_links(tap, w, "... no link for it: hvc4 and hvc6 cannot be told "
                 "apart", {"org.b": 1, "org.c": 2, "org.a": 3, "org.d": 5})
    expect_log(tap, w, "... and the helper says why",
               r"console-9 \(org\.x\): no link: it was probed while another "
               r"channel was closing, so Linux gave it hvc4 or hvc6")
    w.unplug(x)
    w.settle()


def same_last_digit(tap, w):
    refused = subprocess.run([XLCH, "attach", DOMID,
                              "connection=pty,name=org.y,devid=11"],
                             capture_output=True, text=True, check=False)
    tap.check("the toolstack refuses devid 11 beside devid 1",
              refused.returncode == 1 and "same digit" in refused.stderr)
    y = w.attach_by_hand("org.y", 11)
    w.guest.hotplug(y)
    w.settle()
    tap.check("devid 11 while devid 1 is bound: the kernel gives both hvc3",
              w.guest.devices[y].hp.index == 3)
    expect_links(tap, w, "... devid 11 gets no link, devid 1 keeps its own",
                 {"org.b": 1, "org.c": 2, "org.a": 3, "org.d": 5})
    expect_log(tap, w, "... and the helper says why",
               r"console-11 \(org\.y\): no link: a channel whose devid ends "
               r"in the same digit")
    subprocess.run(["xenstore-rm",
                    "/local/domain/%s/device/console/%d" % (DOMID, y)],
                   check=True, capture_output=True)
    w.guest.unplug(y)
    w.settle()


def missed_events(tap, w):
    z = w.attach("org.z")
    w.guest.hotplug(z)
    w.guest.queue = []  # udevd was not running: add and bind are lost
    w.guest.coldplug()
    w.settle()
    expect_links(tap, w, "a bind the helper never saw: no links at all", {})
    expect_log(tap, w, "... and the helper says why",
               r"console-%d: bound, but the helper never saw its bind event"
               % z)
    for devid in sorted(w.guest.devices):
        w.unplug(devid)
    w.settle()
    w.plug("org.a")
    w.settle()
    expect_links(tap, w, "once no channel holds a slot, links are made again",
                 {"org.a": 1})


def every_run_succeeded(tap, w):
    failed = [r for r in w.runs + w.udev.log if r[3] != 0]
    tap.check("every program the rule ran exited 0",
              not failed, "\n".join("%s %s: %s: exit %d\n%s" % r
                                     for r in failed))


def main():
    tap = Tap()
    w = World()
    hotplug_in_order(tap, w)
    detach_and_reattach(tap, w)
    explicit_gap(tap, w)
    reprobe_after_reattach(tap, w)
    parallel_workers(tap, w)
    add_before_probe(tap, w)
    concurrent_helpers(tap, w)
    probe_while_closing(tap, w)
    same_last_digit(tap, w)
    missed_events(tap, w)
    every_run_succeeded(tap, w)
    print("1..%d" % tap.n)
    return 1 if tap.failed else 0


if __name__ == "__main__":
    sys.exit(main())
