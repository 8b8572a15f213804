/* xensim: the state directory and the simulated domain table. */
#include "xensim.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Domain ids at or above this are Xen's reserved ones (DOMID_FIRST_...). */
#define FIRST_RESERVED_DOMID 0x7FF0U

static const char *const state_names[] = {
    [XENSIM_DOM_RUNNING] = "running",
    [XENSIM_DOM_SHUTDOWN] = "shutdown",
    [XENSIM_DOM_DYING] = "dying",
};

static int parse_domid(const char *s, uint32_t *domid)
{
    char *end = NULL;
    unsigned long v;

    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v >= FIRST_RESERVED_DOMID)
        return -1;
    *domid = (uint32_t)v;
    return 0;
}

int xensim_env(const char **dir, uint32_t *domid)
{
    const char *d = getenv(XENSIM_ENV_DIR);
    const char *id = getenv(XENSIM_ENV_DOMID);

    if (!d || !*d) {
        errno = EINVAL;
        return -1;
    }
    *domid = 0;
    if (id && *id && parse_domid(id, domid)) {
        errno = EINVAL;
        return -1;
    }
    *dir = d;
    return 0;
}

int xensim_path(char *buf, size_t size, const char *dir, const char *fmt, ...)
{
    va_list ap;
    int n, m;

    n = snprintf(buf, size, "%s/", dir);
    if (n < 0 || (size_t)n >= size)
        goto toolong;
    va_start(ap, fmt);
    m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0 || (size_t)m >= size - (size_t)n)
        goto toolong;
    return 0;

toolong:
    errno = ENAMETOOLONG;
    return -1;
}

static int make_dir(const char *dir, const char *sub)
{
    char path[4096];

    if (xensim_path(path, sizeof(path), dir, "%s", sub))
        return -1;
    if (mkdir(path, 0700) && errno != EEXIST)
        return -1;
    return 0;
}

int xensim_init_dir(const char *dir)
{
    if (mkdir(dir, 0700) && errno != EEXIST)
        return -1;
    if (make_dir(dir, "domains") || make_dir(dir, "evtchn") ||
        make_dir(dir, "grant"))
        return -1;
    return 0;
}

int xensim_domain_set(const char *dir, uint32_t domid, const char *state)
{
    char path[4096], tmp[4096];
    size_t i;
    int fd = -1, rc = -1;
    ssize_t r;

    if (domid >= FIRST_RESERVED_DOMID) {
        errno = EINVAL;
        return -1;
    }
    if (xensim_path(path, sizeof(path), dir, "domains/%u", domid) ||
        xensim_path(tmp, sizeof(tmp), dir, "domains/.%u.new", domid))
        return -1;
    if (!strcmp(state, "gone")) {
        if (unlink(path) && errno != ENOENT)
            return -1;
        return 0;
    }
    for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++)
        if (!strcmp(state, state_names[i]))
            break;
    if (i == sizeof(state_names) / sizeof(state_names[0])) {
        errno = EINVAL;
        return -1;
    }
    /* Written aside and renamed: readers never see a partial state. */
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        goto out;
    r = write(fd, state, strlen(state));
    if (r != (ssize_t)strlen(state))
        goto out;
    if (rename(tmp, path))
        goto out;
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    if (rc)
        unlink(tmp);
    return rc;
}

static int read_state(const char *dir, uint32_t domid,
                      enum xensim_dom_state *state)
{
    char path[4096], buf[32];
    size_t i;
    ssize_t r;
    int fd;

    if (xensim_path(path, sizeof(path), dir, "domains/%u", domid))
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    r = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (r < 0)
        return -1;
    buf[r] = '\0';
    for (i = 0; i < sizeof(state_names) / sizeof(state_names[0]); i++) {
        if (!strcmp(buf, state_names[i])) {
            *state = (enum xensim_dom_state)i;
            return 0;
        }
    }
    errno = EINVAL;
    return -1;
}

static int cmp_dom(const void *a, const void *b)
{
    const struct xensim_dom *x = a, *y = b;

    return (x->domid > y->domid) - (x->domid < y->domid);
}

int xensim_domain_list(const char *dir, uint32_t first, struct xensim_dom *out,
                       int max)
{
    char path[4096];
    struct xensim_dom *all = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    DIR *d = NULL;
    uint32_t domid;
    int rc = -1, i;

    if (xensim_path(path, sizeof(path), dir, "domains"))
        return -1;
    d = opendir(path);
    if (!d)
        return -1;
    while ((de = readdir(d))) {
        enum xensim_dom_state st;

        if (parse_domid(de->d_name, &domid) || domid < first)
            continue;
        /* A domain removed meanwhile is simply not listed. */
        if (read_state(dir, domid, &st))
            continue;
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct xensim_dom *p = realloc(all, ncap * sizeof(*all));

            if (!p)
                goto out;
            all = p;
            cap = ncap;
        }
        all[n].domid = domid;
        all[n].state = st;
        n++;
    }
    if (n)
        qsort(all, n, sizeof(*all), cmp_dom);
    for (i = 0; i < max && (size_t)i < n; i++)
        out[i] = all[i];
    rc = i;
out:
    free(all);
    closedir(d);
    return rc;
}
