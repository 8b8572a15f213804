/*
 * ts_libxl_list.c - the real libxenlight's view of a domain's channels,
 * as an oracle: one line per channel from libxl_device_channel_list and
 * libxl_device_channel_getinfo,
 *   name=N connection=C path=P state=S evtch=E rref=R backend_id=B
 * (path: the socket path, or the pty path getinfo reports). Runs under the
 * testbed's preload (libxl_ctx_alloc needs a "hypervisor").
 *
 *   ts_libxl_list DOMID
 */
#include <stdio.h>
#include <stdlib.h>

#include <libxl.h>
#include <xentoollog.h>

int main(int argc, char **argv)
{
    xentoollog_logger_stdiostream *logger = NULL;
    libxl_device_channel *channels = NULL;
    libxl_channelinfo info;
    libxl_ctx *ctx = NULL;
    int num = 0, i, rc = 1;
    uint32_t domid;

    if (argc != 2) {
        fprintf(stderr, "usage: ts_libxl_list DOMID\n");
        return 2;
    }
    domid = (uint32_t)strtoul(argv[1], NULL, 10);
    logger = xtl_createlogger_stdiostream(stderr, XTL_ERROR, 0);
    if (!logger ||
        libxl_ctx_alloc(&ctx, LIBXL_VERSION, 0, (xentoollog_logger *)logger))
        goto out;
    channels = libxl_device_channel_list(ctx, domid, &num);
    for (i = 0; i < num; i++) {
        const char *path = NULL;

        libxl_channelinfo_init(&info);
        if (libxl_device_channel_getinfo(ctx, domid, &channels[i], &info)) {
            printf("getinfo-failed name=%s\n", channels[i].name);
            continue;
        }
        if (channels[i].connection == LIBXL_CHANNEL_CONNECTION_SOCKET)
            path = channels[i].u.socket.path;
        else if (channels[i].connection == LIBXL_CHANNEL_CONNECTION_PTY)
            path = info.u.pty.path;
        printf("name=%s connection=%s path=%s state=%d evtch=%d rref=%d "
               "backend_id=%u\n",
               channels[i].name,
               libxl_channel_connection_to_string(channels[i].connection),
               path ? path : "", info.state, info.evtch, info.rref,
               info.backend_id);
        libxl_channelinfo_dispose(&info);
    }
    rc = 0;

out:
    for (i = 0; i < num; i++)
        libxl_device_channel_dispose(&channels[i]);
    free(channels);
    if (ctx)
        libxl_ctx_free(ctx);
    if (logger)
        xtl_logger_destroy((xentoollog_logger *)logger);
    return rc;
}
