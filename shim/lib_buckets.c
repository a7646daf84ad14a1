/*
 * APR's bucket API is macros: these give the cffi library functions to
 * call (modpy/objects/brigade.py, filter.py).
 */
#include "modpy_lib.h"

int modpy_bb_empty(apr_bucket_brigade *bb) { return APR_BRIGADE_EMPTY(bb); }

/* Take the next data out of the front of `bb`.  Returns 1 with (*data,
 * *len) set -- at most `max` bytes, in bucket *taken, which the caller
 * destroys (modpy_bucket_destroy) once it has copied them, so a 1 GiB file
 * streams through a bounded buffer; 0 when `bb` is empty; 2 for an EOS and
 * 3 for a FLUSH bucket (removed); a negative APR status on error. */
int modpy_bb_next(apr_bucket_brigade *bb, const char **data, apr_size_t *len,
                  apr_size_t max, apr_bucket **taken)
{
    apr_bucket *b;
    apr_status_t rv;

    while (!APR_BRIGADE_EMPTY(bb)) {
        b = APR_BRIGADE_FIRST(bb);
        if (APR_BUCKET_IS_EOS(b)) {
            apr_bucket_delete(b);
            return 2;
        }
        if (APR_BUCKET_IS_FLUSH(b)) {
            apr_bucket_delete(b);
            return 3;
        }
        rv = apr_bucket_read(b, data, len, APR_BLOCK_READ);
        if (rv != APR_SUCCESS)
            return -(int)rv;
        if (*len == 0) {
            apr_bucket_delete(b);
            continue;
        }
        if (*len > max) {
            apr_bucket_split(b, max);
            *len = max;
        }
        APR_BUCKET_REMOVE(b);
        *taken = b;
        return 1;
    }
    return 0;
}
void modpy_bucket_destroy(apr_bucket *b) { apr_bucket_destroy(b); }
void modpy_bb_eos(apr_bucket_brigade *bb)
{
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_eos_create(bb->bucket_alloc));
}
void modpy_bb_flush(apr_bucket_brigade *bb)
{
    APR_BRIGADE_INSERT_TAIL(bb, apr_bucket_flush_create(bb->bucket_alloc));
}
void modpy_bb_push_front(apr_bucket_brigade *bb, const char *data, apr_size_t len)
{
    APR_BRIGADE_INSERT_HEAD(bb, apr_bucket_heap_create(data, len, NULL, bb->bucket_alloc));
}
int modpy_conn_aborted(conn_rec *c) { return c->aborted; }
void modpy_conn_set_aborted(conn_rec *c) { c->aborted = 1; }
const char *modpy_filter_name(ap_filter_t *f) { return f->frec->name; }

