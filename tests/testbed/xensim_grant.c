/*
 * xensim: grants. A granted page is the file grant/<D>-<ref> (4096 bytes,
 * created with O_EXCL, which is what reserves the ref); the link
 * grant/<D>-<ref>.to<G> names the one domain allowed to map it. Both sides
 * map the file MAP_SHARED. Ending a grant removes both names; mappings
 * that still exist keep the page, as Xen keeps a page mapped by the peer.
 */
#include "xensim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Grant refs are 32-bit; keep the search for a free one bounded. */
#define MAX_REF 65536U

/* Reserves address space for count pages to map files into. */
static void *reserve(uint32_t count)
{
    void *p;

    if (count == 0 || count > MAX_REF) {
        errno = EINVAL;
        return NULL;
    }
    p = mmap(NULL, (size_t)count * XENSIM_PAGE_SIZE, PROT_NONE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int map_page_at(char *base, uint32_t i, int fd, int prot)
{
    void *p = mmap(base + (size_t)i * XENSIM_PAGE_SIZE, XENSIM_PAGE_SIZE, prot,
                   MAP_SHARED | MAP_FIXED, fd, 0);

    return p == MAP_FAILED ? -1 : 0;
}

void *xensim_grant_map(const char *dir, uint32_t self, uint32_t count,
                       const uint32_t *domids, const uint32_t *refs, int prot)
{
    char path[4096];
    char *base = reserve(count);
    uint32_t i;
    int fd, saved;

    if (!base)
        return NULL;
    for (i = 0; i < count; i++) {
        if (xensim_path(path, sizeof(path), dir, "grant/%u-%u.to%u", domids[i],
                        refs[i], self))
            goto fail;
        fd = open(path, (prot & PROT_WRITE ? O_RDWR : O_RDONLY) | O_CLOEXEC);
        if (fd < 0) {
            /* Xen refuses a ref that is not granted to us. */
            errno = errno == ENOENT ? EINVAL : errno;
            goto fail;
        }
        if (map_page_at(base, i, fd, prot)) {
            close(fd);
            goto fail;
        }
        close(fd);
    }
    return base;

fail:
    saved = errno;
    munmap(base, (size_t)count * XENSIM_PAGE_SIZE);
    errno = saved;
    return NULL;
}

/* Creates the page of a new grant; returns its fd or -1 (EEXIST: taken). */
static int create_grant(const char *dir, uint32_t self, uint32_t peer,
                        uint32_t ref)
{
    char page[4096], link_name[4096];
    int fd;

    if (xensim_path(page, sizeof(page), dir, "grant/%u-%u", self, ref) ||
        xensim_path(link_name, sizeof(link_name), dir, "grant/%u-%u.to%u", self,
                    ref, peer))
        return -1;
    fd = open(page, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    if (ftruncate(fd, XENSIM_PAGE_SIZE))
        goto fail;
    unlink(link_name); /* a stale name of an ended grant */
    if (link(page, link_name))
        goto fail;
    return fd;

fail:
    close(fd);
    unlink(page);
    return -1;
}

void xensim_grant_end(const char *dir, uint32_t self, uint32_t peer,
                      uint32_t count, const uint32_t *refs)
{
    char path[4096];
    uint32_t i;

    for (i = 0; i < count; i++) {
        if (!xensim_path(path, sizeof(path), dir, "grant/%u-%u.to%u", self,
                         refs[i], peer))
            unlink(path);
        if (!xensim_path(path, sizeof(path), dir, "grant/%u-%u", self, refs[i]))
            unlink(path);
    }
}

void *xensim_grant_share(const char *dir, uint32_t self, uint32_t peer,
                         uint32_t count, uint32_t ref, uint32_t *refs)
{
    char *base;
    uint32_t i, next = XENSIM_FIRST_FREE_REF;
    int fd = -1, saved;

    if (ref && count != 1) {
        errno = EINVAL;
        return NULL;
    }
    base = reserve(count);
    if (!base)
        return NULL;
    for (i = 0; i < count; i++) {
        if (ref) {
            fd = create_grant(dir, self, peer, ref);
            refs[i] = ref;
        } else {
            /* The lowest free ref; the O_EXCL create settles races. */
            for (fd = -1; fd < 0 && next < MAX_REF; next++) {
                fd = create_grant(dir, self, peer, next);
                if (fd < 0 && errno != EEXIST)
                    break;
                refs[i] = next;
            }
            if (fd < 0 && next >= MAX_REF)
                errno = ENOSPC;
        }
        if (fd < 0)
            goto fail;
        if (map_page_at(base, i, fd, PROT_READ | PROT_WRITE)) {
            close(fd);
            xensim_grant_end(dir, self, peer, 1, &refs[i]);
            goto fail;
        }
        close(fd);
    }
    return base;

fail:
    saved = errno;
    xensim_grant_end(dir, self, peer, i, refs);
    munmap(base, (size_t)count * XENSIM_PAGE_SIZE);
    errno = saved;
    return NULL;
}
