# shellcheck shell=sh
# Helpers of the guest's shell (sourced by the guest's /init, so that the
# command lines dom0 sends can call them).

# uev_mark: remember how far the uevent log goes; uev_wait looks after it.
uev_mark() {
    wc -l </run/uevents >/run/uev.mark
}

# uev_wait ACTION KERNEL SECS: wait until udevd has processed (monitor line
# "UDEV ... ACTION /devices/KERNEL (xen)") the event, after the mark.
# Polled: the monitor's log is a file; bounded by SECS.
uev_wait() {
    end=$(($(date +%s) + $3))
    m=$(cat /run/uev.mark 2>/dev/null || echo 0)
    while ! tail -n +$((m + 1)) /run/uevents |
        grep -qE "^UDEV +\[[0-9.]+\] +$1 +/devices/$2 \(xen\)"; do
        if [ "$(date +%s)" -ge "$end" ]; then
            echo "no UDEV $1 of $2 within $3 s"
            return 1
        fi
        usleep 50000
    done
}

# uev_seen ACTION KERNEL: did udevd process such an event (after the mark)?
uev_seen() {
    m=$(cat /run/uev.mark 2>/dev/null || echo 0)
    tail -n +$((m + 1)) /run/uevents |
        grep -qE "^UDEV +\[[0-9.]+\] +$1 +/devices/$2 \(xen\)"
}

# links_report NAME...: for each channel name, one line
# "@@ NAME link /dev/hvcN", "@@ NAME nolink" (neither spelling exists) or
# "@@ NAME bad WHY" (the spellings disagree).
links_report() {
    for n in "$@"; do
        a=/dev/xen-channels/$n
        b=/dev/xen-channel/$n
        if ! [ -e "$a" ] && ! [ -L "$a" ] && ! [ -e "$b" ] && ! [ -L "$b" ]; then
            echo "@@ $n nolink"
            continue
        fi
        ta=$(readlink -f "$a" || echo "$a missing")
        tb=$(readlink -f "$b" || echo "$b missing")
        if [ "$ta" != "$tb" ]; then
            echo "@@ $n bad the spellings disagree: $a -> $ta, $b -> $tb"
        else
            echo "@@ $n link $ta"
        fi
    done
}

# agents NAME...: an agent on each channel's link; "@@ NAME ok" or
# "@@ NAME failed".
agents() {
    for n in "$@"; do
        if rxtool agent "/dev/xen-channels/$n" >/dev/null; then
            echo "@@ $n ok"
        else
            echo "@@ $n failed"
        fi
    done
}

# agents_on_hvc: an agent on every hvc line 1-7 that exists (hvc_xen
# allocated it), answering with the line's name (hvcN): the host then
# learns which line each channel really is.
agents_on_hvc() {
    for i in 1 2 3 4 5 6 7; do
        if rxtool agent "/dev/hvc$i" >/dev/null 2>&1; then
            echo "@@ hvc$i"
        fi
    done
}

# The frontend state of every xen console device, for the log.
consoles() {
    for d in /sys/bus/xen/devices/console-*; do
        [ -e "$d" ] || continue
        echo "$(basename "$d"): $(cat "$d/nodename") state $(cat "$d/state" 2>/dev/null)" \
            "driver $(basename "$(readlink "$d/driver" 2>/dev/null)" 2>/dev/null)"
    done
}
