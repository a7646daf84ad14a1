/*
 * What the C shim and the Python runtime share: the phase numbers and the
 * small per-directory, per-server and per-request records that the shim
 * reads on the hot path.  Python writes them (through cffi, compiled against
 * this header), C only reads them.
 */
#ifndef MODPY_H
#define MODPY_H

#include <signal.h>

#include "httpd.h"
#include "http_config.h"
#include "util_filter.h"

/* Request phases, in the order Apache runs them.  Bit (1 << phase) in a
 * config's `phases` mask means "Python has a handler here". */
enum {
    MODPY_POST_READ_REQUEST = 0,
    MODPY_TRANS,
    MODPY_HEADER_PARSER,
    MODPY_ACCESS,
    MODPY_AUTHEN,
    MODPY_AUTHZ,
    MODPY_TYPE,
    MODPY_FIXUP,
    MODPY_HANDLER,
    MODPY_LOG,
    MODPY_CLEANUP,
    MODPY_NPHASES
};

/* Or'ed into the phase number passed to Python: the request's last phase
 * with Python work, so its Request need not be kept for later ones (the
 * handler phase or after, when the per-directory config is final). */
#define MODPY_LAST_PHASE 0x100

/* Per-directory record.  A leaf (one <Directory>, <Location>, .htaccess or
 * the server's defaults) has `id` > 0 once a Python directive named it: the
 * key of its parsed config in Python.  A merged record has id 0 and points at
 * the two records it joins; Python resolves the chain to one config, once:
 * `merged` is then that config's id, so the request's later phases read it
 * straight (0: not yet, or not cacheable because an .htaccess takes part).
 * `joined`, on a leaf: (the id of a base's config << 32) | the id of its
 * merge with this leaf, as Python last resolved one; merge_dir_config gives
 * a later merge of the same two its `merged` id at once (one 64-bit word:
 * another thread may write it while a merge reads it).
 * `no_file`: as in mod_python, a request whose <Location> names a
 * PythonHandler maps to no file (req.filename None), and Apache's walk of
 * the file system for it (a stat and an .htaccess open per directory) is
 * skipped. */
typedef struct modpy_dir_conf {
    unsigned int phases;
    int no_file;        /* a <Location> with a PythonHandler: maps to no file */
    int id;
    int merged;
    apr_uint64_t joined;
    const struct modpy_dir_conf *base;
    const struct modpy_dir_conf *add;
    const char *dir;
} modpy_dir_conf;

/* Per-server record: `id` keys the Python server config (PythonImport,
 * filters, the connection handler); `connection` says a
 * PythonConnectionHandler is set for this server. */
typedef struct modpy_srv_conf {
    int id;
    int connection;
} modpy_srv_conf;

/* Per-request record, made by Python when it first needs one: extra phase
 * bits added by req.add_handler(), and output handed to the shim to write
 * once the phase's Python has returned (the last block of a CGI script
 * that has exited): written then, the GIL already let go, the request takes
 * the GIL once instead of twice.  `r` and `kept`: Python keeps the
 * request's Request object for its later phases (modpy_keep_request); a
 * C cleanup of the request pool enters Python to let it go only if it is
 * still kept then: the usual request lets it go in its last phase. */
typedef struct modpy_req_conf {
    unsigned int phases;
    const char *after;                   /* in the request pool */
    apr_size_t after_len;
    request_rec *r;                      /* set when first kept */
    int kept;
} modpy_req_conf;

/* Calls into Python now running in this process, and whether a signal that
 * ends the process struck inside one.  A prefork child dies in a signal
 * handler (SIGHUP, SIGTERM), which destroys its pools wherever the signal
 * struck; a pool cleanup entering Python there, in the middle of Python
 * code (a garbage collection, say), would crash the child.  The cffi library
 * owns the record (`modpy_python_calls_now`); the shim counts its calls into
 * Python there and sets `interrupted` ("Dying inside Python" in
 * mod_pyshim.c); every pool cleanup that calls Python checks it first. */
typedef struct modpy_python_calls {
    int running;                         /* changed only by the two below */
    volatile sig_atomic_t interrupted;
} modpy_python_calls;

static APR_INLINE void modpy_call_begins(modpy_python_calls *calls)
{
    __atomic_add_fetch(&calls->running, 1, __ATOMIC_RELAXED);
}

static APR_INLINE void modpy_call_ends(modpy_python_calls *calls)
{
    __atomic_sub_fetch(&calls->running, 1, __ATOMIC_RELAXED);
}

/* The handler names mod_python answers to (SetHandler, AddHandler; mod_mime
 * folds an AddHandler's to lower case): the shim's content handler and
 * req.get_addhandler_exts() (lib_mime.c) ask the same question. */
static APR_INLINE int modpy_is_python_handler(const char *name)
{
    return name && (strcmp(name, "mod_python") == 0 || strcmp(name, "python-program") == 0);
}

#endif
