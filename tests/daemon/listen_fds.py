#!/usr/bin/env python3
"""Socket activation as systemd does it, for the daemon's tests:

  listen_fds.py PATH NAME PROGRAM [ARG...]

binds a listening unix socket at PATH, puts it on descriptor 3, sets
LISTEN_FDS=1, LISTEN_FDNAMES=NAME and LISTEN_PID (this process's pid,
which PROGRAM keeps), then executes PROGRAM.
"""
import os
import socket
import sys


def main():
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    path, name, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(16)
    fd = s.detach()
    if fd != 3:
        os.dup2(fd, 3)
        os.close(fd)
    os.set_inheritable(3, True)
    os.environ["LISTEN_FDS"] = "1"
    os.environ["LISTEN_FDNAMES"] = name
    os.environ["LISTEN_PID"] = str(os.getpid())
    os.execvp(argv[0], argv)
    return 1


if __name__ == "__main__":
    sys.exit(main())
