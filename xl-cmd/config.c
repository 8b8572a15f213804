/*
 * config.c - the channel= entries of an xl domain configuration file,
 * read with libxlutil as xl reads them, each parsed and checked with
 * xch_channel_spec_parse. Unlike xl, a single string instead of a list
 * and any bad entry are errors, and nothing is returned unless every
 * entry is good.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxlutil.h>

#include "xl-channel.h"

/* Sets *errmsg to the formatted message; returns XCH_ERROR_INVAL, or
 * XCH_ERROR_NOMEM (with *errmsg NULL) when it cannot be allocated. */
static int config_error(char **errmsg, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int config_error(char **errmsg, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vasprintf(errmsg, fmt, ap);
    va_end(ap);
    if (r < 0) {
        *errmsg = NULL;
        return XCH_ERROR_NOMEM;
    }
    return XCH_ERROR_INVAL;
}

/* Reads the whole of filename into *data_r (malloc'd, NUL-terminated)
 * and its length into *len_r. Returns 0 or an errno value. */
static int read_whole_file(const char *filename, char **data_r, size_t *len_r)
{
    char chunk[4096];
    char *data = NULL;
    size_t len = 0, n;
    FILE *in = NULL, *mem = NULL;
    int r;

    *data_r = NULL;
    in = fopen(filename, "re");
    if (!in) {
        r = errno;
        goto out;
    }
    mem = open_memstream(&data, &len);
    if (!mem) {
        r = errno;
        goto out;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), in)) > 0) {
        if (fwrite(chunk, 1, n, mem) != n) {
            r = ENOMEM;
            goto out;
        }
    }
    if (ferror(in)) {
        r = errno ? errno : EIO;
        goto out;
    }
    if (fclose(mem)) {
        mem = NULL;
        r = ENOMEM;
        goto out;
    }
    mem = NULL;
    *data_r = data;
    *len_r = len;
    data = NULL;
    r = 0;

out:
    if (mem)
        fclose(mem);
    free(data);
    if (in)
        fclose(in);
    return r;
}

void specs_free(xlch_spec *specs, int num)
{
    int i;

    for (i = 0; i < num; i++) {
        xch_device_channel_dispose(&specs[i].chan);
        xch_channel_options_dispose(&specs[i].opts);
    }
    free(specs);
}

/*
 * Parses entry i (spec) into specs[i] and checks it against the entries
 * before it. On error, *errmsg names the file, the entry and the spec.
 */
static int config_channel(const char *filename, const char *spec, int i,
                          xlch_spec *specs, char **errmsg)
{
    xch_device_channel *ch = &specs[i].chan;
    char *quoted_spec = NULL, *quoted = NULL;
    char *why = NULL;
    int j, rc;

    quoted_spec = xch_channel_quote(spec);
    if (!quoted_spec) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch_channel_spec_parse(spec, ch, &specs[i].opts, &why);
    if (rc) {
        if (why)
            rc = config_error(errmsg, "%s: channel[%d] %s: %s", filename, i,
                              quoted_spec, why);
        goto out;
    }
    for (j = 0; j < i; j++) {
        if (!strcmp(specs[j].chan.name, ch->name)) {
            quoted = xch_channel_quote(ch->name);
            rc = quoted ? config_error(errmsg,
                                       "%s: channel[%d] %s: name %s is "
                                       "already used by channel[%d]",
                                       filename, i, quoted_spec, quoted, j)
                        : XCH_ERROR_NOMEM;
            goto out;
        }
        if (ch->devid != -1 && specs[j].chan.devid == ch->devid) {
            rc = config_error(errmsg,
                              "%s: channel[%d] %s: devid %d is already "
                              "used by channel[%d]",
                              filename, i, quoted_spec, ch->devid, j);
            goto out;
        }
    }
    rc = 0;

out:
    free(quoted);
    free(why);
    free(quoted_spec);
    return rc;
}

int config_read_channels(const char *filename, xlch_spec **specs_r, int *num_r,
                         char **errmsg)
{
    char *data = NULL, *report = NULL, *quoted = NULL;
    size_t data_len = 0, report_len = 0;
    FILE *report_f = NULL;
    XLU_Config *cfg = NULL;
    XLU_ConfigList *list = NULL;
    xlch_spec *specs = NULL;
    int num = 0, entries = 0;
    int i, r, rc;

    *specs_r = NULL;
    *num_r = 0;
    *errmsg = NULL;

    /* libxlutil prints its syntax errors to this stream; we pass them on. */
    report_f = open_memstream(&report, &report_len);
    if (!report_f) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    cfg = xlu_cfg_init(report_f, filename);
    if (!cfg) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    /* As xl does: read the file, then let libxlutil parse the data (its
     * readfile would die in the scanner on a directory). */
    r = read_whole_file(filename, &data, &data_len);
    if (!r && data_len > INT_MAX)
        r = EFBIG;
    if (r) {
        rc = config_error(errmsg, "%s: cannot read: %s", filename, strerror(r));
        goto out;
    }
    r = xlu_cfg_readdata(cfg, data, (int)data_len);
    if (r == EINVAL) {
        /* libxlutil has said what is wrong and where (FILE:LINE: ...). */
        size_t len = fflush(report_f) ? 0 : report_len;

        while (len && report[len - 1] == '\n')
            len--;
        rc = len ? config_error(errmsg, "%.*s", (int)len, report)
                 : config_error(errmsg, "%s: syntax error", filename);
        goto out;
    }
    if (r) {
        rc = config_error(errmsg, "%s: %s", filename, strerror(r));
        goto out;
    }

    r = xlu_cfg_get_list(cfg, "channel", &list, &entries, 1);
    if (r == ESRCH) { /* no channel= at all */
        rc = 0;
        goto out;
    }
    if (r == EINVAL) { /* a single string: xl warns and ignores it */
        const char *value = NULL;

        xlu_cfg_get_string(cfg, "channel", &value, 1);
        quoted = xch_channel_quote(value ? value : "");
        rc = quoted ? config_error(errmsg,
                                   "%s: channel= must be a list (channel = "
                                   "[ \"SPEC\", ... ]), not the single "
                                   "string %s",
                                   filename, quoted)
                    : XCH_ERROR_NOMEM;
        goto out;
    }
    if (r) {
        rc = config_error(errmsg, "%s: cannot read channel=: %s", filename,
                          strerror(r));
        goto out;
    }
    if (entries == 0) {
        rc = 0;
        goto out;
    }

    specs = calloc((size_t)entries, sizeof(*specs));
    if (!specs) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    for (num = 0; num < entries; num++) {
        xch_device_channel_init(&specs[num].chan);
        xch_channel_options_init(&specs[num].opts);
    }

    for (i = 0; i < entries; i++) {
        if (xlu_cfg_value_type(xlu_cfg_get_listitem2(list, i)) != XLU_STRING) {
            rc = config_error(errmsg,
                              "%s: channel[%d] is a list, not a spec string",
                              filename, i);
            goto out;
        }
        rc = config_channel(filename, xlu_cfg_get_listitem(list, i), i, specs,
                            errmsg);
        if (rc)
            goto out;
    }

    *specs_r = specs;
    *num_r = num;
    specs = NULL;
    num = 0;
    rc = 0;

out:
    specs_free(specs, num);
    if (cfg)
        xlu_cfg_destroy(cfg);
    if (report_f)
        fclose(report_f);
    free(quoted);
    free(report);
    free(data);
    return rc;
}
