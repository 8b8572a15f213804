/*
 * domain.c - domains as xenstore knows them: /local/domain/D exists for a
 * live domain and holds its name; the relative key `domid` is our own.
 * No libxenctrl: the library keeps to stable-ABI libraries.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int xch__domain_exists(xch_ctx *ctx, xs_transaction_t t, uint32_t domid,
                       bool *exists_r)
{
    char *path = NULL, *val = NULL;
    int rc;

    *exists_r = false;
    path = xch__sprintf("/local/domain/%u", domid);
    if (!path) {
        rc = XCH_ERROR_NOMEM;
        goto out;
    }
    rc = xch__xs_read(ctx, t, path, &val);
    if (rc)
        goto out;
    *exists_r = val != NULL;

out:
    free(val);
    free(path);
    return rc;
}

/* Finds the domain whose name is name; two with that name: INVAL. */
static int domain_by_name(xch_ctx *ctx, const char *name, uint32_t *domid)
{
    char **doms = NULL;
    char *path = NULL, *val = NULL;
    unsigned num = 0, i;
    unsigned long id;
    bool found = false;
    int rc;

    rc = xch__xs_directory(ctx, XBT_NULL, "/local/domain", &doms, &num);
    if (rc)
        goto out;
    for (i = 0; i < num; i++) {
        if (xch__parse_ulong(doms[i], XCH__DOMID_MAX, &id))
            continue;
        free(path);
        free(val);
        val = NULL;
        path = xch__sprintf("/local/domain/%s/name", doms[i]);
        if (!path) {
            rc = XCH_ERROR_NOMEM;
            goto out;
        }
        rc = xch__xs_read(ctx, XBT_NULL, path, &val);
        if (rc)
            goto out;
        if (!val || strcmp(val, name) != 0)
            continue;
        if (found) {
            rc = XCH_ERROR_INVAL;
            goto out;
        }
        found = true;
        *domid = (uint32_t)id;
    }
    rc = found ? 0 : XCH_ERROR_DOMAIN_NOTFOUND;

out:
    free(val);
    free(path);
    free(doms);
    return rc;
}

int xch_domain_resolve(xch_ctx *ctx, const char *name_or_id, uint32_t *domid)
{
    unsigned long id;
    bool exists;
    int rc;

    if (!name_or_id || !*name_or_id)
        return XCH_ERROR_INVAL;
    /* As xl: all digits is an id, anything else a name. */
    if (strspn(name_or_id, "0123456789") == strlen(name_or_id)) {
        if (xch__parse_ulong(name_or_id, XCH__DOMID_MAX, &id))
            return XCH_ERROR_DOMAIN_NOTFOUND;
        rc = xch__domain_exists(ctx, XBT_NULL, (uint32_t)id, &exists);
        if (rc)
            return rc;
        if (!exists)
            return XCH_ERROR_DOMAIN_NOTFOUND;
        *domid = (uint32_t)id;
        return 0;
    }
    return domain_by_name(ctx, name_or_id, domid);
}

int xch_domain_self(xch_ctx *ctx, uint32_t *domid)
{
    unsigned long id;
    char *val = NULL;
    int rc;

    rc = xch__xs_read(ctx, XBT_NULL, "domid", &val);
    if (rc)
        goto out;
    if (!val || xch__parse_ulong(val, XCH__DOMID_MAX, &id)) {
        rc = XCH_ERROR_DOMAIN_NOTFOUND;
        goto out;
    }
    *domid = (uint32_t)id;

out:
    free(val);
    return rc;
}
