#!/usr/bin/env python3
"""A stand-in for xenchanneld's control socket (docs/control-protocol.md),
to test the client side alone: answers one connection per MODE argument,
in order, then exits. Prints "ready" once listening; appends each request
line it receives to REQUESTS.

  fake_control.py SOCKET REQUESTS MODE...

MODE: good (counters for devid 1 of the requested domain, plus entries the
client must ignore), error (an error reply), garbage (not JSON), close
(closes without a reply).
"""
import json
import os
import socket
import sys


def reply_for(mode, request):
    domid = json.loads(request)["domid"]
    if mode == "good":
        return json.dumps({"status": [
            {"frontend_id": domid, "devid": 1, "name": "ignored",
             "client_connected": True, "bytes_to_guest": 1234,
             "bytes_from_guest": 56789, "bytes_dropped": 7,
             "ring_errors": 2, "error": "from the daemon",
             "host_end": "client"},
            {"frontend_id": domid + 1, "devid": 2, "bytes_to_guest": 999},
            {"frontend_id": domid, "devid": 99, "bytes_to_guest": 999},
        ]}) + "\n"
    if mode == "error":
        return '{"error":"no such request"}\n'
    if mode == "garbage":
        return "this is not json\n"
    return None


def main():
    path, requests, modes = sys.argv[1], sys.argv[2], sys.argv[3:]
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)
    print("ready", flush=True)
    for mode in modes:
        conn, _ = srv.accept()
        with conn:
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(4096)
                if not chunk:
                    break
                data += chunk
            line = data.decode()
            with open(requests, "a") as f:
                f.write(line)
            reply = reply_for(mode, line)
            if reply is not None:
                conn.sendall(reply.encode())
    srv.close()
    os.unlink(path)


if __name__ == "__main__":
    main()
