/*
 * A request's body and response, and the calls that may wait: req.read(),
 * req.write(), add_common_vars/add_cgi_vars, a CGI script's headers.
 */
#include "modpy_lib.h"

/* req.read(): one block of the request body, read as ap_get_client_block
 * reads it (same fields kept: remaining at the end, read_length), with two
 * differences: one brigade serves the whole request instead of a new one
 * in r->pool per block, and the APR status of a failed read reaches the
 * caller (ap_get_client_block loses it), so a timeout can be answered 408
 * and a body over LimitRequestBody 413, as Apache's own handlers answer.
 * The bytes copied into buf, 0 at the end of the body, -1 on error with
 * *rv set (the connection is then not kept alive). */
long modpy_read_block(request_rec *r, apr_bucket_brigade *bb, char *buf, apr_size_t size,
                      apr_status_t *rv)
{
    if (r->remaining < 0 || (!r->read_chunked && r->remaining == 0))
        return 0;
    *rv = ap_get_brigade(r->input_filters, bb, AP_MODE_READBYTES, APR_BLOCK_READ, size);
    if (*rv == APR_SUCCESS) {
        if (!APR_BRIGADE_EMPTY(bb) && APR_BUCKET_IS_EOS(APR_BRIGADE_LAST(bb)))
            r->remaining = r->read_chunked ? -1 : 0;     /* the next call says: the end */
        *rv = apr_brigade_flatten(bb, buf, &size);
    }
    apr_brigade_cleanup(bb);
    if (*rv != APR_SUCCESS) {
        r->connection->keepalive = AP_CONN_CLOSE;
        return -1;
    }
    r->read_length += size;
    return (long)size;
}

/* Calls that wait only in some configurations keep the GIL (QUICK_CALLS)
 * and release it themselves when they may wait. */
static PyThreadState *modpy_release_gil_if(int may_wait)
{
    return may_wait ? PyEval_SaveThread() : NULL;
}

static void modpy_retake_gil(PyThreadState *save)
{
    if (save)
        PyEval_RestoreThread(save);
}

/* req.add_common_vars(): waits on the network only for a reverse DNS
 * lookup (HostnameLookups On) or an ident query (mod_ident). */
void modpy_add_common_vars(request_rec *r)
{
    core_dir_config *conf = ap_get_core_module_config(r->per_dir_config);
    PyThreadState *save = modpy_release_gil_if(
        conf->hostname_lookups == HOSTNAME_LOOKUP_ON || conf->hostname_lookups == HOSTNAME_LOOKUP_DOUBLE
        || ap_find_linked_module("mod_ident.c") != NULL);
    ap_add_common_vars(r);
    modpy_retake_gil(save);
}

/* req.add_cgi_vars(): with a PATH_INFO, PATH_TRANSLATED takes a sub-request
 * (other modules' hooks, the file system). */
void modpy_add_cgi_vars(request_rec *r)
{
    PyThreadState *save = modpy_release_gil_if(r->path_info && *r->path_info);
    ap_add_cgi_vars(r);
    modpy_retake_gil(save);
}

/* req.add_cgi_vars(), as mod_python 3.5 gives it to handlers: the common
 * variables, then the CGI ones ap_add_cgi_vars sets, except PATH_TRANSLATED
 * (a sub-request there) and with REQUEST_URI as r->uri, without the query.
 * A CGI script gets Apache's own (modpy_add_cgi_vars). */
void modpy_add_handler_cgi_vars(request_rec *r)
{
    apr_table_t *e = r->subprocess_env;

    modpy_add_common_vars(r);
    apr_table_setn(e, "GATEWAY_INTERFACE", "CGI/1.1");
    apr_table_setn(e, "SERVER_PROTOCOL", r->protocol);
    apr_table_setn(e, "REQUEST_METHOD", r->method);
    apr_table_setn(e, "QUERY_STRING", r->args ? r->args : "");
    apr_table_setn(e, "REQUEST_URI", r->uri);
    if (r->path_info && *r->path_info) {
        apr_table_setn(e, "SCRIPT_NAME",
                       apr_pstrndup(r->pool, r->uri, ap_find_path_info(r->uri, r->path_info)));
        apr_table_setn(e, "PATH_INFO", r->path_info);
    }
    else
        apr_table_setn(e, "SCRIPT_NAME", r->uri);
}

/* A CGI script's header block through Apache's own parser, as mod_cgid
 * reads it, then the framing headers mod_cgid drops are dropped.  Not
 * variadic, unlike ap_scan_script_header_err_strs_ex: cffi calls a variadic
 * function through its generic path, which would release the GIL (see
 * QUICK_CALLS); getsfunc_STRING only reads the block. */
int modpy_scan_cgi_headers(request_rec *r, int module_index, const char *block)
{
    int status = ap_scan_script_header_err_strs_ex(r, NULL, module_index, NULL, NULL, block, NULL);

    /* The body's length is what the script writes, not what it claims
     * (mod_cgid's rule; SetEnv ap_trust_cgilike_cl keeps the claim). */
    if (!apr_table_get(r->subprocess_env, "ap_trust_cgilike_cl"))
        apr_table_unset(r->headers_out, "Content-Length");
    apr_table_unset(r->headers_out, "Transfer-Encoding");
    return status;
}

/* req.write(): write and flush in one call, so cffi drops and retakes the
 * GIL once instead of twice (a thread switch each under load).
 * 0, or -1 when the write failed, -2 when the flush did. */
int modpy_rwrite(request_rec *r, const char *buf, int nbyte, int flush)
{
    if (nbyte <= 0)             /* mod_python's rule: nothing written, nothing flushed */
        return 0;
    if (ap_rwrite(buf, nbyte, r) < 0)
        return -1;
    if (flush && ap_rflush(r) < 0)
        return -2;
    return 0;
}

