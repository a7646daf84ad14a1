/*
 * The cffi library's C (modpy/_build_ffi.py compiles the files lib_*.c
 * into it): what the process shares with the shim.  The count of calls
 * into Python that the prefork signal guard reads, the pool cleanup that
 * respects it, and the one pair of filter trampolines every Python filter
 * enters through (the shim registers the Python*Filter directives' names
 * with them, req.register_*_filter the others): they live here, in the
 * library the shim pins in memory, so no filter Apache keeps points into a
 * module that a restart unloads.
 */
#include "modpy_lib.h"
#include <sys/stat.h>
#include "scoreboard.h"

/* Shared with the shim, which finds it by name (modpy.h). */
modpy_python_calls modpy_python_calls_now;

/* Every pool cleanup Python registers enters Python through here: not at
 * all when a dying signal struck inside Python (modpy.h). */
apr_status_t modpy_guarded_pool_cleanup(void *ticket)
{
    apr_status_t rv;

    if (modpy_python_calls_now.interrupted)
        return APR_SUCCESS;
    modpy_call_begins(&modpy_python_calls_now);
    rv = modpy_pool_cleanup(ticket);
    modpy_call_ends(&modpy_python_calls_now);
    return rv;
}

/* The end of a request whose Request object Python still keeps: Python
 * lets it go (modpy.objects.request), guarded like every pool cleanup. */
static apr_status_t modpy_kept_request_cleanup(void *data)
{
    modpy_req_conf *rconf = data;
    apr_status_t rv;

    if (!rconf->kept || modpy_python_calls_now.interrupted)
        return APR_SUCCESS;
    modpy_call_begins(&modpy_python_calls_now);
    rv = modpy_request_done(rconf->r);
    modpy_call_ends(&modpy_python_calls_now);
    return rv;
}

/* Python keeps the request's Request object: the request's record, made if
 * need be, says so, and the request pool's cleanup (registered once) lets
 * it go if Python has not by then.  Python clears `kept` when it lets go
 * itself, in the request's last phase: then no cleanup enters Python. */
modpy_req_conf *modpy_keep_request(request_rec *r, void **slot)
{
    modpy_req_conf *rconf = *slot;

    if (!rconf)
        *slot = rconf = apr_pcalloc(r->pool, sizeof(*rconf));
    if (!rconf->r) {
        rconf->r = r;
        apr_pool_cleanup_register(r->pool, rconf, modpy_kept_request_cleanup,
                                  apr_pool_cleanup_null);
    }
    rconf->kept = 1;
    return rconf;
}

/* Filters enter Python here, counted like every other call of the shim's
 * (modpy.h, "Dying inside Python" in mod_pyshim.c). */
static apr_status_t modpy_filter_call(ap_filter_t *f, apr_bucket_brigade *bb, int mode,
                                      int block, apr_off_t readbytes)
{
    apr_status_t rv;

    modpy_call_begins(&modpy_python_calls_now);
    rv = modpy_filter(f, bb, mode, block, readbytes);
    modpy_call_ends(&modpy_python_calls_now);
    return rv;
}

static apr_status_t modpy_output_filter(ap_filter_t *f, apr_bucket_brigade *bb)
{
    return modpy_filter_call(f, bb, -1, 0, 0);
}

static apr_status_t modpy_input_filter(ap_filter_t *f, apr_bucket_brigade *bb,
                                       ap_input_mode_t mode, apr_read_type_e block,
                                       apr_off_t readbytes)
{
    return modpy_filter_call(f, bb, mode, block, readbytes);
}

/* `name` (which must live as long as Apache's filter registry) as a
 * Python filter. */
void modpy_register_filter(const char *name, int input)
{
    if (input)
        ap_register_input_filter(name, modpy_input_filter, NULL, AP_FTYPE_RESOURCE);
    else
        ap_register_output_filter(name, modpy_output_filter, NULL, AP_FTYPE_RESOURCE);
}

/* The st_mtime of a file in nanoseconds, -1 when it cannot be stat()ed:
 * autoreload's check of a handler's files on every request. */
long long modpy_mtime_ns(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return -1;
    return (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
}


/* server.restart_time, as mod_python gives it: when the server last
 * (re)started. */
apr_time_t modpy_restart_time(void)
{
    return ap_scoreboard_image ? ap_scoreboard_image->global->restart_time : 0;
}
