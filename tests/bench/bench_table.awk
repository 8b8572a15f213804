# bench_table.awk - the table of make bench from its results file
# (tests/bench/bench.sh writes one line a case, key=value fields; a figure
# is MEDIAN:MIN:MAX).
function med(s,    a) { split(s, a, ":"); return a[1] + 0 }
function fig(s,    a) {
    if (s == "") return "-"
    split(s, a, ":")
    return sprintf("%.3g (%.3g-%.3g)", a[1], a[2], a[3])
}
function ratio(x, y) { return y > 0 ? sprintf("%.2f", x / y) : "-" }
function verdict(ok) { return ok ? "met" : "NOT MET" }

{
    delete f
    for (i = 1; i <= NF; i++) {
        eq = index($i, "=")
        if (eq) f[substr($i, 1, eq - 1)] = substr($i, eq + 1)
    }
    if ($1 ~ /^pin=/) {
        k = f["pin"] SUBSEP f["relay"] SUBSEP f["kind"] SUBSEP f["case"] SUBSEP f["size"]
        for (n in f) v[k, n] = f[n]
        seen[k] = 1
        if (!(f["pin"] in pinseen)) { pinseen[f["pin"]] = 1; pins[++npins] = f["pin"] }
        if (f["case"] != "ping" && !((f["size"]) in sizeseen)) {
            sizeseen[f["size"]] = 1; sizes[++nsizes] = f["size"]
        }
    } else if ($1 == "callgrind") {
        ir[f["relay"], f["case"]] = f["ir"]; moved[f["relay"], f["case"]] = f["moved"]
    } else if ($1 == "attach") {
        att_ns += f["ns"]; att_n += f["n"]; att_cmd += (f["cmds_ns"] ? f["cmds_ns"] : f["ns"])
        if (f["n"] > big_n) { big_n = f["n"]; big_ns = f["ns"]; big_cmd = f["cmds_ns"] }
    } else if ($1 == "scale") {
        ch = f["channels"]; sc[++nsc] = ch
        ev[ch] = f["event_us"]; evs[ch] = f["events_per_s"]
        anon[ch] = f["anon_kib"]; rss[ch] = f["rss_kib"]
        file[ch] = f["file_kib"] + f["shmem_kib"]
    } else if ($1 == "fds") {
        fds = f["daemon"]
    }
}

function get(p, r, kd, c, s, n) { return v[p, r, kd, c, s, n] }

END {
    pindesc["one"] = "all on CPU 0"
    pindesc["split"] = "guest on CPU 0; relay and client on CPU 1"
    pindesc["split+hogs"] = "split, beside two unpinned `yes` hogs"
    for (pi = 1; pi <= npins; pi++) {
        p = pins[pi]
        if (p == "callgrind") continue
        printf "\n== Throughput, MiB/s; pinning %s (%s)\n", p, pindesc[p]
        printf "%-4s %6s %-6s  %-22s %-22s %5s  %-8s %-8s %s\n", "dir", "size", "kind",
            "daemon", "minimal relay", "d/min", "raw ring", "socat", "CPU us/MiB d / min"
        for (d = 1; d <= 2; d++) {
            dir = d == 1 ? "g2h" : "h2g"
            for (si = 1; si <= nsizes; si++) {
                s = sizes[si]
                for (kk = 1; kk <= 2; kk++) {
                    kd = kk == 1 ? "socket" : "pty"
                    if (!((p, "daemon", kd, dir, s) in seen)) continue
                    dv = get(p, "daemon", kd, dir, s, "mib_s")
                    mv = get(p, "minimal", kd, dir, s, "mib_s")
                    rv = get(p, "ring", "-", dir, s, "mib_s")
                    so = get(p, "socat", "socket", dir, s, "mib_s")
                    printf "%-4s %6s %-6s  %-22s %-22s %5s  %-8s %-8s %s / %s\n", dir, s, kd,
                        fig(dv), fig(mv), ratio(med(dv), med(mv)),
                        rv == "" ? "-" : sprintf("%.3g", med(rv)),
                        so == "" ? "-" : sprintf("%.3g", med(so)),
                        sprintf("%.0f", med(get(p, "daemon", kd, dir, s, "cpu_us_per_mib"))),
                        sprintf("%.0f", med(get(p, "minimal", kd, dir, s, "cpu_us_per_mib")))
                    r = med(mv) > 0 ? med(dv) / med(mv) : 0
                    if (!((p) in worst) || r < worst[p]) { worst[p] = r; worstcase[p] = dir " " s " " kd }
                    if (p != "split+hogs") {
                        if (!("all" in worst) || r < worst["all"]) worst["all"] = r
                    }
                    if (dir == "g2h") g2h[p, kd, s] = med(dv)
                    else h2g[p, kd, s] = med(dv)
                    if (rv != "") ring[p, dir, s] = med(rv)
                }
            }
        }
        printf "\n== Round trip of a 1-byte ping, us; pinning %s\n", p
        printf "%-8s %-6s  %-24s %-24s %-24s %s\n", "relay", "kind", "p50", "p99", "p99.9", "p99 d/min"
        split("daemon minimal ring socat", rl, " ")
        for (ri = 1; ri <= 4; ri++) {
            for (kk = 1; kk <= 2; kk++) {
                kd = kk == 1 ? "socket" : "pty"
                kx = rl[ri] == "ring" ? "-" : kd
                if (rl[ri] != "daemon" && rl[ri] != "minimal" && kk == 2) continue
                if (!((p, rl[ri], kx, "ping", 1) in seen)) continue
                q = ""
                if (rl[ri] == "daemon") {
                    q = ratio(med(get(p, "daemon", kd, "ping", 1, "p99")), med(get(p, "minimal", kd, "ping", 1, "p99")))
                    p99r[p, kd] = q
                }
                printf "%-8s %-6s  %-24s %-24s %-24s %s\n", rl[ri] == "ring" ? "raw ring" : rl[ri], kx,
                    fig(get(p, rl[ri], kx, "ping", 1, "p50")),
                    fig(get(p, rl[ri], kx, "ping", 1, "p99")),
                    fig(get(p, rl[ri], kx, "ping", 1, "p999")), q
            }
        }
        if ((p, "daemon", "socket", "tick", 1) in seen)
            printf "per-event CPU (one byte a notification, socket): daemon %s us, minimal relay %s us, d/min %s\n",
                fig(get(p, "daemon", "socket", "tick", 1, "event_us")),
                fig(get(p, "minimal", "socket", "tick", 1, "event_us")),
                ratio(med(get(p, "daemon", "socket", "tick", 1, "event_us")),
                      med(get(p, "minimal", "socket", "tick", 1, "event_us")))
    }
    if (nsc) {
        printf "\n== Per-event cost: the daemon's CPU per guest notification that moves data (pinning split)\n"
        printf "%-9s %-24s %-12s %-12s %s\n", "channels", "us/event", "events/s", "vs 1 chan", "daemon anon / rss KiB"
        for (i = 1; i <= nsc; i++) {
            ch = sc[i]
            printf "%-9s %-24s %-12.0f %-12s %s / %s\n", ch, fig(ev[ch]), med(evs[ch]),
                ratio(med(ev[ch]), med(ev[sc[1]])), anon[ch], rss[ch]
        }
        lo = sc[1]; hi = sc[nsc]
        per_anon = (anon[hi] - anon[lo]) / (hi - lo)
        per_rss = (rss[hi] - rss[lo]) / (hi - lo)
        per_file = (file[hi] - file[lo]) / (hi - lo)
        printf "memory per idle channel: %.1f KiB anonymous (heap, stacks), %.1f KiB resident" \
            " of which %.1f KiB mapped files (the 4 KiB ring page, the preload's port records);" \
            " %s descriptors for %s channels\n", per_anon, per_rss, per_file, fds, hi
    }
    if (att_n) {
        printf "\n== Attaching: %d `xl-channel attach` until the last is connected (BE state 4)\n", att_n
        printf "total %.2f s (the commands alone %.2f s); the batch of %d: %.2f s, %.1f ms an attach," \
            " the last connected %.0f ms after the last command returned\n",
            att_ns / 1e9, att_cmd / 1e9, big_n, big_ns / 1e9, big_ns / 1e6 / big_n, (big_ns - big_cmd) / 1e6
    }
    if (("daemon", "g2h") in ir) {
        printf "\n== User-space instructions per MiB relayed (callgrind, 4 KiB writes, 1 s)\n"
        printf "%-4s %-14s %-14s %s\n", "dir", "daemon", "minimal relay", "d/min"
        for (d = 1; d <= 2; d++) {
            dir = d == 1 ? "g2h" : "h2g"
            di = moved["daemon", dir] > 0 ? ir["daemon", dir] / (moved["daemon", dir] / 1048576) : 0
            mi = moved["minimal", dir] > 0 ? ir["minimal", dir] / (moved["minimal", dir] / 1048576) : 0
            ipm[dir] = mi > 0 ? di / mi : 0
            printf "%-4s %-14.0f %-14.0f %s\n", dir, di, mi, ratio(di, mi)
        }
    }

    printf "\n== Targets\n"
    for (pi = 1; pi <= npins; pi++) {
        p = pins[pi]
        if (p == "split+hogs" || p == "callgrind") continue
        printf "relay >= 0.9 x minimal, pinning %s: worst %.2f (%s): %s\n", p, worst[p],
            worstcase[p], verdict(worst[p] >= 0.9)
    }
    for (kk = 1; kk <= 2 && npins; kk++) {
        kd = kk == 1 ? "socket" : "pty"
        wr = 99; wc = ""; br = 99; bc = ""; line = ""
        for (pi = 1; pi <= npins; pi++) {
            p = pins[pi]
            if (p == "split+hogs" || p == "callgrind") continue
            for (si = 1; si <= nsizes; si++) {
                s = sizes[si]
                if (!(g2h[p, kd, s] > 0)) continue
                r = h2g[p, kd, s] / g2h[p, kd, s]
                line = line sprintf(" %s/%s %.2f", p, s, r)
                if (r < wr) { wr = r; wc = p " " s }
                if (s + 0 >= 2048 && r < br) { br = r; bc = p " " s }
            }
        }
        if (wc == "") continue
        if (kk == 1) {
            rring = ""
            for (pi = 1; pi <= npins; pi++)
                for (si = 1; si <= nsizes; si++)
                    if (ring[pins[pi], "g2h", sizes[si]] > 0)
                        rring = rring sprintf(" %s/%s %.2f", pins[pi], sizes[si],
                            ring[pins[pi], "h2g", sizes[si]] / ring[pins[pi], "g2h", sizes[si]])
            if (rring != "") printf "(the raw ring itself, h2g / g2h:%s)\n", rring
        }
        printf "host->guest >= 0.5 x guest->host, %s:%s\n", kd, line
        printf "    worst %.2f (%s): %s; writes of 2 KiB and more: worst %.2f (%s): %s\n", wr, wc,
            verdict(wr >= 0.5), br, bc, verdict(br >= 0.5)
    }
    for (pi = 1; pi <= npins; pi++) {
        p = pins[pi]
        if (p == "split+hogs" || p == "callgrind") continue
        printf "p99 <= 1.2 x minimal, pinning %s: socket %s, pty %s: %s\n", p, p99r[p, "socket"],
            p99r[p, "pty"], verdict(p99r[p, "socket"] <= 1.2 && p99r[p, "pty"] <= 1.2)
    }
    if (nsc) {
        r = med(ev[sc[1]]) > 0 ? med(ev[sc[nsc]]) / med(ev[sc[1]]) : 0
        printf "per-event cost within 20%% from %s to %s channels: %.2f: %s\n", sc[1], sc[nsc], r,
            verdict(r >= 0.8 && r <= 1.2)
        printf "<= 16 KiB per idle channel: %.1f KiB: %s\n", per_anon, verdict(per_anon <= 16)
    }
    if (att_n)
        printf "%d attaches in <= 5 s: %.2f s: %s\n", att_n, att_ns / 1e9, verdict(att_ns <= 5e9)
    if (("daemon", "g2h") in ir)
        printf "instructions per MiB <= 2 x minimal: g2h %.2f, h2g %.2f: %s\n", ipm["g2h"], ipm["h2g"],
            verdict(ipm["g2h"] <= 2 && ipm["h2g"] <= 2)
}
