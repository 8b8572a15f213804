#!/usr/bin/env python3
"""Test client of a channel socket (what a guest program opening
/dev/xen-channels/NAME does), for the integration tests.

  chanclient.py expect PATH TEXT     read exactly TEXT, then close
  chanclient.py echo PATH NBYTES     send NBYTES of a pattern while reading
                                     them back; check they come back intact
  chanclient.py hold PATH NBYTES     send NBYTES without reading anything,
                                     then report how many were taken before
                                     the writes blocked; then read them all
                                     back and check them
  chanclient.py pair PATH NBYTES --peer PEER
                                     PATH and PEER are the two ends of one
                                     channel (guest and host): send NBYTES
                                     each way at once, check both arrive

Exit status 0 when the check holds, 1 with a message otherwise. Every wait
is bounded by --timeout seconds (default 60) so a broken channel fails the
test instead of hanging it.
"""
import argparse
import hashlib
import selectors
import socket
import sys


def pattern(n):
    """n deterministic pseudo-random bytes."""
    out = bytearray()
    block = b"xenchannel"
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def connect(path, timeout):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def cmd_expect(args):
    want = args.arg.encode()
    with connect(args.path, args.timeout) as s:
        got = recv_exact(s, len(want))
    if got != want:
        print(f"expected {want!r}, got {got!r}")
        return 1
    return 0


def pump(s, data, sent, timeout):
    """Send data[sent:] while reading the echo of all of data; returns
    what came back."""
    s.setblocking(False)
    sel = selectors.DefaultSelector()
    back = bytearray()
    sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    while len(back) < len(data):
        if sent == len(data):
            sel.modify(s, selectors.EVENT_READ)
        events = sel.select(timeout)
        if not events:
            raise TimeoutError(
                f"stalled: sent {sent}, got back {len(back)} of {len(data)}")
        for _, mask in events:
            if mask & selectors.EVENT_READ:
                chunk = s.recv(65536)
                if not chunk:
                    raise ConnectionError(
                        f"channel closed after {len(back)} bytes")
                back += chunk
            if mask & selectors.EVENT_WRITE and sent < len(data):
                try:
                    sent += s.send(data[sent:sent + 65536])
                except BlockingIOError:
                    pass
    return bytes(back)


def cmd_echo(args):
    data = pattern(int(args.arg))
    with connect(args.path, args.timeout) as s:
        back = pump(s, data, 0, args.timeout)
    if back != data:
        first = next((i for i, (a, b) in enumerate(zip(back, data))
                      if a != b), min(len(back), len(data)))
        print(f"echo differs from byte {first} on ({len(back)} bytes back)")
        return 1
    print(f"echoed {len(data)} bytes intact")
    return 0


def cmd_hold(args):
    data = pattern(int(args.arg))
    with connect(args.path, args.timeout) as s:
        s.setblocking(False)
        sent = 0
        try:
            while sent < len(data):
                sent += s.send(data[sent:sent + 4096])
        except BlockingIOError:
            pass
        print(f"taken before blocking: {sent} of {len(data)}")
        if sent == len(data):
            print("the channel never pushed back")
            return 1
        back = pump(s, data, sent, args.timeout)
    if back != data:
        print("data lost or changed under backpressure")
        return 1
    print(f"echoed {len(data)} bytes intact after backpressure")
    return 0


def cmd_pair(args):
    n = int(args.arg)
    ends = [connect(args.path, args.timeout), connect(args.peer, args.timeout)]
    data = [pattern(n), pattern(2 * n)[n:]]
    sent = [0, 0]
    got = [bytearray(), bytearray()]
    sel = selectors.DefaultSelector()
    for i, s in enumerate(ends):
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
    while len(got[0]) < n or len(got[1]) < n:
        events = sel.select(args.timeout)
        if not events:
            print(f"stalled: sent {sent}, got {[len(g) for g in got]}")
            return 1
        for key, mask in events:
            i = key.data
            s = ends[i]
            if mask & selectors.EVENT_READ:
                chunk = s.recv(65536)
                if not chunk:
                    print(f"end {i} closed")
                    return 1
                got[i] += chunk
            if mask & selectors.EVENT_WRITE and sent[i] < n:
                try:
                    sent[i] += s.send(data[i][sent[i]:sent[i] + 65536])
                except BlockingIOError:
                    pass
                if sent[i] == n:
                    sel.modify(s, selectors.EVENT_READ, i)
    for s in ends:
        s.close()
    if bytes(got[1]) != data[0] or bytes(got[0]) != data[1]:
        print("data differs")
        return 1
    print(f"{n} bytes each way intact")
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["expect", "echo", "hold", "pair"])
    p.add_argument("path")
    p.add_argument("arg")
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--peer", help="the other end, for pair")
    args = p.parse_args()
    try:
        return {"expect": cmd_expect, "echo": cmd_echo, "hold": cmd_hold,
                "pair": cmd_pair}[args.cmd](args)
    except (OSError, TimeoutError, ConnectionError) as e:
        print(f"chanclient {args.cmd} {args.path}: {e}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
