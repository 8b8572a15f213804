"""A small model of udev and of a Linux guest's channel consoles.

Enough of both to replay the kernel's uevents for console-N devices through
the real rule file and the real helper:

Udev (systemd-udevd 252, checked against `udevadm test`):
  - the rule keys the rule uses, and nothing else (anything more is an
    error, so the model cannot silently ignore what the rule says):
    SUBSYSTEM, KERNEL, ACTION, ENV{K} (== and !=, glob patterns), ENV{K}=,
    IMPORT{program}, IMPORT{db}, RUN, GOTO, LABEL; substitutions %k,
    $kernel, $env{K}, %E{K}, %%, $$. Within a line, as udev sorts them:
    matches, then imports (a failed import ends the line), then
    assignments, then GOTO.
  - the database: after every event except remove, the device's database
    holds only the properties this event's rules set; IMPORT{db} reads
    the previous one. On remove, udev reads the database into the event's
    properties and deletes it.
  - programs get the event's properties as their environment (plus what
    the testbed needs to reach xenstore as the guest); RUN runs after the
    rules, IMPORT{program} while they run.
  - events of one device run in order; the caller picks the order across
    devices (several workers run events of different devices at once).

The guest kernel (Linux 6.1: hvc_console.c, hvc_xen.c, xenbus_probe*.c):
  - console-N devices in a fake sysfs: bus/xen/devices/console-N links to
    a directory of its own (a new one for each device, never reused, as
    kernfs gives a new inode), with nodename, state and, while bound, a
    driver link; kernel/uevent_seqnum counts uevents.
  - hvc_alloc: the slot of a live console with the same number (the
    devid's last digit), else the first free of 16 slots, else one past
    the table; slot 0 is the primary console. Only hvc0..hvc7 are ttys;
    opening hvcI reaches the oldest console with slot I.
  - hot-plug: add, probe (driver link, hvc_alloc, Initialised), bind.
    Close (backend closing): hvc_remove, Closed, no event. Detach: unbind
    (hvc_remove if still held), remove. Boot: probes in the order given
    (xenstore's listing), no event reaches udev; coldplug writes "add" to
    each device's uevent file: an add with SYNTH_UUID=0.
"""

import fnmatch
import os
import re
import shutil
import subprocess


class ModelError(Exception):
    """The rule uses something this model does not implement."""


TOKEN = re.compile(
    r'\s*([A-Z_]+)(?:\{([^}]*)\})?\s*(==|!=|\+=|:=|=)\s*"((?:[^"\\]|\\.)*)"'
    r"\s*(,|$)"
)


def parse_rules(text):
    """Rule lines as lists of (key, attr, op, value)."""
    lines, cur = [], ""
    for raw in text.splitlines():
        if cur == "" and raw.lstrip().startswith("#"):
            continue
        if raw.endswith("\\"):
            cur += raw[:-1]
            continue
        cur += raw
        if cur.strip():
            lines.append(cur.strip())
        cur = ""
    rules = []
    for line in lines:
        pos, toks = 0, []
        while pos < len(line):
            m = TOKEN.match(line, pos)
            if not m:
                raise ModelError("cannot parse rule: " + line)
            toks.append(m.group(1, 2, 3, 4))
            pos = m.end()
        rules.append(toks)
    return rules


MATCH_KEYS = ("SUBSYSTEM", "KERNEL", "ACTION")


class Udev:
    """udevd: the rules, the database, the queue of events per device."""

    def __init__(self, rules_text, helper, helper_opts, extra_env):
        self.rules = parse_rules(rules_text)
        self.helper = helper
        self.helper_opts = helper_opts
        self.extra_env = extra_env
        self.db = {}
        self.log = []  # (event, program, status, stderr)

    # -- substitution and programs ------------------------------------
    def subst(self, value, props):
        kernel = os.path.basename(props["DEVPATH"])
        out = re.sub(r"\$env\{([^}]*)\}|%E\{([^}]*)\}",
                     lambda m: props.get(m.group(1) or m.group(2), ""), value)
        out = out.replace("%k", kernel).replace("$kernel", kernel)
        if re.search(r"%[^%]|\$[^$]", out.replace("%%", "").replace("$$", "")):
            raise ModelError("substitution not modelled in: " + value)
        return out.replace("%%", "%").replace("$$", "$")

    def argv(self, command):
        args = command.split()
        if os.path.basename(args[0]) != "xen-channel-helper":
            raise ModelError("the rule runs a program the model does not "
                             "know: " + args[0])
        return [self.helper] + self.helper_opts + args[1:]

    def spawn(self, command, props):
        env = dict(props)
        env.update(self.extra_env)
        p = subprocess.run(self.argv(command), env=env, capture_output=True,
                           text=True, check=False)
        self.log.append((props.get("ACTION"), props.get("DEVPATH"), command,
                         p.returncode, p.stderr))
        return p

    # -- one event ------------------------------------------------------
    def match(self, key, attr, op, value, props):
        if key == "ENV":
            have = props.get(attr, "")
        elif key == "KERNEL":
            have = os.path.basename(props["DEVPATH"])
        else:
            have = props.get(key, "")
        if "|" in value:
            raise ModelError("alternatives not modelled: " + value)
        hit = fnmatch.fnmatchcase(have, value)
        return hit if op == "==" else not hit

    def imports(self, toks, props, old_db, rule_set):
        for key, attr, op, value in toks:
            if key != "IMPORT":
                continue
            if attr == "db":
                if value not in old_db:
                    return False
                props[value] = rule_set[value] = old_db[value]
            elif attr == "program":
                p = self.spawn(self.subst(value, props), props)
                if p.returncode != 0:
                    return False
                for line in p.stdout.splitlines():
                    k, _, v = line.partition("=")
                    props[k] = rule_set[k] = v
            else:
                raise ModelError("IMPORT{%s} not modelled" % attr)
        return True

    def apply_rules(self, props, old_db):
        rule_set, run, goto = {}, [], None
        for toks in self.rules:
            keys = {t[0] for t in toks}
            unknown = keys - set(MATCH_KEYS) - {"ENV", "IMPORT", "RUN",
                                                "GOTO", "LABEL"}
            if unknown:
                raise ModelError("rule keys not modelled: %s" % unknown)
            if goto is not None:
                if ("LABEL", None, "=", goto) in toks:
                    goto = None
                continue
            if not all(self.match(k, a, o, v, props) for k, a, o, v in toks
                       if o in ("==", "!=")):
                continue
            if not self.imports(toks, props, old_db, rule_set):
                continue
            for key, attr, op, value in toks:
                if key == "ENV" and op in ("=", ":="):
                    props[attr] = rule_set[attr] = self.subst(value, props)
                elif key == "RUN":
                    run = ([] if op in ("=", ":=") else run) + \
                        [self.subst(value, props)]
            for key, attr, op, value in toks:
                if key == "GOTO":
                    goto = value
        return rule_set, run

    def prepare(self, event):
        """The rules for one kernel event (a dict): its properties and the
        programs to RUN; updates the database."""
        props = dict(event)
        devpath = props["DEVPATH"]
        if props["ACTION"] == "remove":
            props.update(self.db.pop(devpath, {}))
            old_db = {}
        else:
            old_db = self.db.get(devpath, {})
        rule_set, run = self.apply_rules(props, old_db)
        if props["ACTION"] != "remove":
            self.db[devpath] = rule_set
        return props, run

    def process(self, event):
        props, run = self.prepare(event)
        for command in run:
            self.spawn(command, props)

    def process_at_once(self, events):
        """Events of different devices on workers of their own: their RUN
        programs run at the same time."""
        procs = []
        for event in events:
            props, run = self.prepare(event)
            for command in run:
                env = dict(props)
                env.update(self.extra_env)
                procs.append((props, command, subprocess.Popen(
                    self.argv(command), env=env, stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE, text=True)))
        for props, command, p in procs:
            err = p.communicate()[1]
            self.log.append((props.get("ACTION"), props.get("DEVPATH"),
                             command, p.returncode, err))
        return [p.returncode for _, _, p in procs]


class Device:
    def __init__(self, devid, gen):
        self.devid = devid
        self.gen = gen
        self.bound = False
        self.state = "Initialising"
        self.hp = None  # its hvc_struct while it has one


class Hvc:
    """An hvc_struct: a console's slot, for as long as it has one."""

    def __init__(self, devid, index):
        self.devid = devid
        self.index = index


class Guest:
    """The guest kernel's console-N devices and hvc table, in a fake sysfs."""

    SLOTS, TTYS = 16, 8

    def __init__(self, root):
        self.root = root
        self.sys = os.path.join(root, "sys")
        self.seqnum = 1000
        self.gen = 0
        self.reset()

    def reset(self):
        shutil.rmtree(self.sys, ignore_errors=True)
        os.makedirs(os.path.join(self.sys, "bus/xen/devices"))
        os.makedirs(os.path.join(self.sys, "bus/xen/drivers/xenconsole"))
        os.makedirs(os.path.join(self.sys, "kernel"))
        os.makedirs(os.path.join(self.sys, "devices"))
        self.vtermnos = ["primary"] + [None] * (self.SLOTS - 1)
        self.hvcs = []  # hvc_structs in list order (oldest first)
        self.last_hvc = -1
        self.devices = {}
        self.queue = []
        self.write_seqnum()

    # -- sysfs ----------------------------------------------------------
    def write_seqnum(self):
        with open(os.path.join(self.sys, "kernel/uevent_seqnum"), "w") as f:
            f.write("%d\n" % self.seqnum)

    def dev_dir(self, dev):
        return os.path.join(self.sys, "devices",
                            "console-%d@%d" % (dev.devid, dev.gen))

    def bus_link(self, devid):
        return os.path.join(self.sys, "bus/xen/devices", "console-%d" % devid)

    def set_state(self, dev, state):
        dev.state = state
        with open(os.path.join(self.dev_dir(dev), "state"), "w") as f:
            f.write(state + "\n")

    def uevent(self, devid, action, synthetic=False):
        self.seqnum += 1
        self.write_seqnum()
        ev = {"ACTION": action, "DEVPATH": "/devices/console-%d" % devid,
              "SUBSYSTEM": "xen", "SEQNUM": str(self.seqnum),
              "MODALIAS": "xen:console"}
        if synthetic:
            ev["SYNTH_UUID"] = "0"
        self.queue.append(ev)

    # -- hvc_console ----------------------------------------------------
    def hvc_alloc(self, devid):
        vtermno = devid % 10
        if vtermno in self.vtermnos:
            i = self.vtermnos.index(vtermno)
        elif None in self.vtermnos:
            i = self.vtermnos.index(None)
            self.vtermnos[i] = vtermno
        else:
            self.last_hvc += 1
            i = self.last_hvc + self.SLOTS
        hp = Hvc(devid, i)
        self.hvcs.append(hp)
        return hp

    def hvc_remove(self, dev):
        if dev.hp is None:
            return
        if dev.hp.index < self.SLOTS:
            self.vtermnos[dev.hp.index] = None
        self.hvcs.remove(dev.hp)
        dev.hp = None

    def tty_owner(self, index):
        """The devid whose console opening /dev/hvcINDEX reaches."""
        for hp in self.hvcs:
            if hp.index == index:
                return hp.devid
        return None

    def tty_of(self, devid):
        dev = self.devices.get(devid)
        if dev is None or dev.hp is None or dev.hp.index >= self.TTYS:
            return None
        if self.tty_owner(dev.hp.index) != devid:
            return None
        return dev.hp.index

    # -- xenbus ---------------------------------------------------------
    def register(self, devid):
        self.gen += 1
        dev = Device(devid, self.gen)
        d = self.dev_dir(dev)
        os.makedirs(d)
        with open(os.path.join(d, "nodename"), "w") as f:
            f.write("device/console/%d\n" % devid)
        with open(os.path.join(d, "uevent"), "w") as f:
            f.write("MODALIAS=xen:console\n")
        os.symlink("../../bus/xen", os.path.join(d, "subsystem"))
        self.set_state(dev, "Initialising")
        os.symlink(os.path.relpath(d, os.path.dirname(self.bus_link(devid))),
                   self.bus_link(devid))
        self.devices[devid] = dev
        self.uevent(devid, "add")

    def probe(self, devid):
        dev = self.devices[devid]
        os.symlink("../../bus/xen/drivers/xenconsole",
                   os.path.join(self.dev_dir(dev), "driver"))
        dev.bound = True
        if devid % 10 != 0:  # xencons_probe refuses the last digit 0
            dev.hp = self.hvc_alloc(devid)
            self.set_state(dev, "Initialised")
            self.uevent(devid, "bind")
        else:
            os.unlink(os.path.join(self.dev_dir(dev), "driver"))
            dev.bound = False

    def close(self, devid):
        dev = self.devices[devid]
        self.hvc_remove(dev)
        self.set_state(dev, "Closed")

    def unregister(self, devid):
        dev = self.devices.pop(devid)
        if dev.bound:
            os.unlink(os.path.join(self.dev_dir(dev), "driver"))
            dev.bound = False
            self.hvc_remove(dev)
            self.uevent(devid, "unbind")
        os.unlink(self.bus_link(devid))
        self.uevent(devid, "remove")

    def hotplug(self, devid):
        self.register(devid)
        self.probe(devid)

    def unplug(self, devid):
        self.close(devid)
        self.unregister(devid)

    def boot(self, listing):
        """A fresh kernel probing device/console in listing order, before
        udev runs: the uevents reach nobody."""
        self.reset()
        for devid in listing:
            self.register(devid)
            self.probe(devid)
        self.queue = []

    def coldplug(self):
        """udevadm trigger --action=add: every device, in devpath order."""
        for devid in sorted(self.devices, key=lambda d: "console-%d" % d):
            self.uevent(devid, "add", synthetic=True)

    # -- delivering events ----------------------------------------------
    def next_event(self, devid=None):
        """The oldest queued event (of console-DEVID if given)."""
        for i, ev in enumerate(self.queue):
            if devid is None or ev["DEVPATH"] == "/devices/console-%d" % devid:
                return self.queue.pop(i)
        return None
