/*
 * mod_pyshim: the C side of modpy.
 *
 * A table, not a program.  It owns what only C can do -- starting the
 * embedded interpreter once, pinning it in memory across Apache's module
 * reloads, re-initialising it in each child -- and registers one hook per
 * request phase, one directive entry per Python* directive, the filter and
 * connection entry points.  Each of them forwards to a function that
 * modpy/_build_ffi.py declares with ffi.embedding_api and modpy defines in
 * Python.  The one decision made here is the fast path: a phase with no
 * Python handler configured for the request returns DECLINED without
 * touching Python or the GIL.
 *
 * Build-time constants (set by setup.py):
 *   MODPY_PYTHON      the interpreter modpy was built with (a venv's python),
 *                     embedded unless PythonHome names another
 *   MODPY_LIBPYTHON   absolute path of its shared libpython
 *   MODPY_FFI_NAME    file name of the cffi library beside this module
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <Python.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "modpy.h"
#include "apr_strings.h"
#include "apr_optional.h"
#include "mod_include.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "http_connection.h"
#include "ap_mpm.h"
#include "apr_strings.h"

module AP_MODULE_DECLARE_DATA pyshim_module;
APLOG_USE_MODULE(pyshim);

/* ------------------------------------------------------------------ */
/* The Python entry points, found in the cffi library at load time.   */

static struct {
    int (*boot)(int module_index);
    const char *(*directive)(cmd_parms *, modpy_dir_conf *, modpy_srv_conf *, const char *);
    int (*phase)(request_rec *, int, int);
    int (*post_config)(apr_pool_t *, server_rec *);
    void (*child_init)(apr_pool_t *, server_rec *);
    void (*register_filter)(const char *name, int input);
    int (*connection)(conn_rec *, const modpy_srv_conf *);
    int (*include)(ap_filter_t *, apr_bucket_brigade *, const char *, const char *);
    modpy_python_calls *calls;       /* counted around the calls made in a child */
} py;

static const char *boot_error;   /* why Python is unusable, or NULL */
static pid_t python_pid;         /* the process whose Python state is current */
static const char *python_home;  /* PythonHome, as read in this config pass */
static int booted;               /* boot() ran in this config pass */

/* The python to embed: PythonHome's bin/pythonX.Y (the version this shim
 * was compiled against, so a home of another version is refused), else the
 * python modpy was built with. */
static const char *python_program(apr_pool_t *p)
{
    if (python_home)
        return apr_psprintf(p, "%s/bin/python%d.%d", python_home, PY_MAJOR_VERSION, PY_MINOR_VERSION);
    return MODPY_PYTHON;
}

/* Why `program` cannot be started, or NULL. */
static const char *missing_program(apr_pool_t *p, const char *program)
{
    if (access(program, X_OK) == 0)
        return NULL;
    if (python_home)
        return apr_psprintf(p, "modpy: PythonHome %s: no %s (modpy was built for Python %d.%d)",
                            python_home, program, PY_MAJOR_VERSION, PY_MINOR_VERSION);
    return apr_psprintf(p, "modpy: %s, the python modpy was built with, is gone: name the python "
                        "to embed with PythonHome (`python -m modpy module-config` prints the line)",
                        program);
}

/* The running interpreter's sys.executable differs from `program`: Python
 * cannot be started again in this process, so a changed PythonHome waits
 * for a full stop and start. */
static void warn_if_other_python(const char *program)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    PyObject *running = PySys_GetObject("executable");
    const char *name = running ? PyUnicode_AsUTF8(running) : NULL;

    if (name && strcmp(name, program) != 0)
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, NULL,
                     "modpy: PythonHome asks for %s, but this Apache runs %s until it is "
                     "stopped and started again (a restart keeps the interpreter)", program, name);
    PyErr_Clear();
    PyGILState_Release(gil);
}

/* Start the interpreter, whatever PATH says, and pin libpython so that
 * Apache's module unload on restart never unmaps it. */
static const char *start_python(apr_pool_t *p)
{
    const char *program = python_program(p), *why;
    PyConfig config;
    PyStatus status;

    if (!dlopen(MODPY_LIBPYTHON, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE))
        return "modpy: cannot load " MODPY_LIBPYTHON;
    if (Py_IsInitialized()) {        /* a restart: Python lives on */
        warn_if_other_python(program);
        return NULL;
    }
    if ((why = missing_program(p, program)))
        return why;
    PyConfig_InitPythonConfig(&config);
    config.use_environment = 0;      /* no PYTHONHOME/PYTHONPATH from httpd's env */
    config.user_site_directory = 0;
    config.install_signal_handlers = 0;   /* signals are Apache's */
    config.configure_c_stdio = 0;
    config.parse_argv = 0;
    status = PyConfig_SetBytesString(&config, &config.program_name, program);
    if (!PyStatus_Exception(status))
        status = Py_InitializeFromConfig(&config);
    PyConfig_Clear(&config);
    if (PyStatus_Exception(status))
        return apr_psprintf(p, "modpy: cannot initialise Python %s: %s", program,
                            status.err_msg ? status.err_msg : "unknown error");
    python_pid = getpid();
    PyEval_SaveThread();             /* cffi takes the GIL per call */
    return NULL;
}

/* Find the cffi library next to this module (the file, not a link to it),
 * pin it, bind the entries. */
static const char *bind_entries(void)
{
    Dl_info self;
    char path[PATH_MAX];
    void *lib;
    char *slash;

    /* resolved: install-module links Apache's modules directory to it */
    if (!dladdr((void *)&pyshim_module, &self) || !self.dli_fname
        || !realpath(self.dli_fname, path))
        return "modpy: cannot find where mod_pyshim.so was loaded from";
    slash = strrchr(path, '/');
    if (!slash || (size_t)(slash - path) + sizeof(MODPY_FFI_NAME) + 1 > sizeof(path))
        return "modpy: mod_pyshim.so path too long";
    strcpy(slash + 1, MODPY_FFI_NAME);
    lib = dlopen(path, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
    if (!lib)
        return dlerror();

#define BIND(field, symbol)                                           \
    if (!(*(void **)&py.field = dlsym(lib, symbol)))                  \
        return "modpy: " symbol " missing from " MODPY_FFI_NAME;
    BIND(boot, "modpy_boot");
    BIND(directive, "modpy_directive");
    BIND(phase, "modpy_phase");
    BIND(post_config, "modpy_post_config");
    BIND(child_init, "modpy_child_init");
    BIND(register_filter, "modpy_register_filter");
    BIND(connection, "modpy_connection");
    BIND(include, "modpy_include");
    BIND(calls, "modpy_python_calls_now");
#undef BIND
    return NULL;
}

/* The modules that embed Python too: with either loaded, the two
 * interpreters' starts collide (Python aborts in PyEval_SaveThread). */
static const char *const rivals[][2] = {
    {"mod_python.c", "mod_python (python_module; Debian: a2dismod python)"},
    {"mod_wsgi.c", "mod_wsgi (wsgi_module; Debian: a2dismod wsgi)"},
};

static const char *rival_loaded(apr_pool_t *p)
{
    size_t i;

    for (i = 0; i < sizeof(rivals) / sizeof(rivals[0]); i++)
        if (ap_find_linked_module(rivals[i][0]))
            return apr_psprintf(p, "modpy: %s is loaded too: it embeds Python as well, "
                                "and one Apache cannot run both; remove its LoadModule", rivals[i][1]);
    return NULL;
}

static void python_after_fork(void);

/* Once a config pass, before the first directive that needs Python (the
 * pass's pre_config, or an earlier PythonDirectives): PythonHome and every
 * LoadModule have been read by then. */
static void boot(apr_pool_t *p)
{
    if (booted)
        return;
    booted = 1;
    python_after_fork();
    boot_error = start_python(p);
    if (!boot_error)
        boot_error = bind_entries();
    if (!boot_error && !py.boot(pyshim_module.module_index))
        boot_error = "modpy: the Python runtime failed to start "
                     "(the traceback is on Apache's stderr)";
}

/* PythonHome DIR: the prefix (a virtualenv, or /usr) whose python to
 * embed.  Read as Apache reads the file (EXEC_ON_READ), before Python
 * starts; so it is server-wide wherever it stands, as Define is. */
static const char *set_python_home(cmd_parms *cmd, void *dconf, const char *dir)
{
    if (python_home)
        return apr_psprintf(cmd->pool, "PythonHome given twice (first %s)", python_home);
    if (booted)
        return "PythonHome must come before PythonDirectives (Python has started already)";
    if (dir[0] != '/')
        return apr_psprintf(cmd->pool, "PythonHome %s: an absolute path, please", dir);
    python_home = apr_pstrdup(cmd->pool, dir);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* Configuration records: C keeps the phase bits, Python the rest.     */

static void *create_dir_config(apr_pool_t *p, char *dir)
{
    modpy_dir_conf *conf = apr_pcalloc(p, sizeof(*conf));
    conf->dir = dir;
    return conf;
}

/* The id of the merge of these two records' configs, when Python has
 * resolved the same pair before (modpy.h, `joined`), else 0. */
static int joined_before(const modpy_dir_conf *base, const modpy_dir_conf *add)
{
    apr_uint64_t joined = __atomic_load_n(&add->joined, __ATOMIC_RELAXED);
    apr_uint64_t base_id = (apr_uint64_t)(base->id ? base->id : base->merged);

    return add->id && base_id && joined >> 32 == base_id ? (int)(joined & 0xffffffffu) : 0;
}

/* Runs on every request during the location and directory walks, so it
 * stays in C: OR the bits and link the pair.  An empty side merges to the
 * other one unchanged (configs are never written after start-up but for the
 * ids Python caches in them). */
static void *merge_dir_config(apr_pool_t *p, void *basev, void *addv)
{
    modpy_dir_conf *base = basev, *add = addv, *conf;

    if (!add->id && !add->base)
        return base;
    if (!base->id && !base->base)
        return add;
    conf = apr_pcalloc(p, sizeof(*conf));
    conf->phases = base->phases | add->phases;
    conf->no_file = base->no_file | add->no_file;
    conf->base = base;
    conf->add = add;
    conf->dir = add->dir;
    conf->merged = joined_before(base, add);
    return conf;
}

static void *create_srv_config(apr_pool_t *p, server_rec *s)
{
    return apr_pcalloc(p, sizeof(modpy_srv_conf));
}

static void *merge_srv_config(apr_pool_t *p, void *basev, void *addv)
{
    modpy_srv_conf *base = basev, *add = addv;
    return add->id ? add : base;
}

/* ------------------------------------------------------------------ */
/* Directives: every one is parsed in Python.                          */

static const char *directive(cmd_parms *cmd, void *dconf, const char *args)
{
    boot(cmd->pool);
    if (boot_error)
        return boot_error;
    /* `-k start` detaches (forks) between the two config reads: the new
     * parent's first Python call may be the second read's first directive */
    python_after_fork();
    return py.directive(cmd, dconf,
                        ap_get_module_config(cmd->server->module_config, &pyshim_module),
                        args);
}

/* Python*Filter handler name: Apache must know the filter name before any
 * Add*Filter line uses it, so register it here (with the cffi library's
 * trampolines, which count the call into Python), then let Python parse. */
static const char *filter_directive(cmd_parms *cmd, void *dconf, const char *args)
{
    const char *rest = args, *name;

    ap_getword_conf(cmd->temp_pool, &rest);
    name = ap_getword_conf(cmd->temp_pool, &rest);
    boot(cmd->pool);
    if (boot_error)
        return boot_error;
    if (*name)
        py.register_filter(apr_pstrdup(cmd->pool, name),
                           strcmp(cmd->cmd->name, "PythonInputFilter") == 0);
    return directive(cmd, dconf, args);
}

#define HANDLER_DIRECTIVE(name, where) \
    AP_INIT_RAW_ARGS(name, directive, NULL, where, name " handler [handler ...] [| .ext ...]")
#define DIRECTIVE(name, where, help) \
    AP_INIT_RAW_ARGS(name, directive, NULL, where, help)

static const command_rec directives[] = {
    HANDLER_DIRECTIVE("PythonPostReadRequestHandler", RSRC_CONF),
    HANDLER_DIRECTIVE("PythonTransHandler", RSRC_CONF),
    HANDLER_DIRECTIVE("PythonHeaderParserHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonInitHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonAccessHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonAuthenHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonAuthzHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonTypeHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonFixupHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonLogHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    HANDLER_DIRECTIVE("PythonCleanupHandler", OR_ALL | ACCESS_CONF | RSRC_CONF),
    AP_INIT_RAW_ARGS("PythonInputFilter", filter_directive, NULL, RSRC_CONF,
                     "PythonInputFilter handler name"),
    AP_INIT_RAW_ARGS("PythonOutputFilter", filter_directive, NULL, RSRC_CONF,
                     "PythonOutputFilter handler name"),
    DIRECTIVE("PythonConnectionHandler", RSRC_CONF, "PythonConnectionHandler handler"),
    DIRECTIVE("PythonEnablePdb", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonEnablePdb On|Off"),
    DIRECTIVE("PythonDebug", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonDebug On|Off"),
    DIRECTIVE("PythonImport", RSRC_CONF, "PythonImport module interpreter_name"),
    DIRECTIVE("PythonInterpPerDirectory", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonInterpPerDirectory On|Off"),
    DIRECTIVE("PythonInterpPerDirective", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonInterpPerDirective On|Off"),
    DIRECTIVE("PythonInterpreter", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonInterpreter name"),
    DIRECTIVE("PythonHandlerModule", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonHandlerModule module"),
    DIRECTIVE("PythonAutoReload", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonAutoReload On|Off"),
    DIRECTIVE("PythonOptimize", RSRC_CONF, "PythonOptimize On|Off"),
    DIRECTIVE("PythonOption", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonOption key [value]"),
    DIRECTIVE("PythonPath", OR_ALL | ACCESS_CONF | RSRC_CONF, "PythonPath \"python-list-expression\""),
    /* runs as Apache reads it, so the directives it declares exist for the
     * lines that follow (modpy/directive_module.py) */
    DIRECTIVE("PythonDirectives", RSRC_CONF | EXEC_ON_READ, "PythonDirectives package.module"),
    AP_INIT_TAKE1("PythonHome", set_python_home, NULL, RSRC_CONF | EXEC_ON_READ,
                  "PythonHome /prefix/of/the/python/to/embed (a virtualenv, or /usr)"),
    {NULL}
};

/* ------------------------------------------------------------------ */
/* Request phases: the fast path, then Python.                         */

/* The phases with Python work for this request: the bits come from the
 * directives (merged in C) and from req.add_handler(). */
static unsigned int python_phases(request_rec *r)
{
    const modpy_dir_conf *dconf = ap_get_module_config(r->per_dir_config, &pyshim_module);
    const modpy_req_conf *rconf = ap_get_module_config(r->request_config, &pyshim_module);
    return (dconf ? dconf->phases : 0) | (rconf ? rconf->phases : 0);
}

static int wanted(request_rec *r, int which)
{
    return (python_phases(r) >> which) & 1;
}

/* Output the phase's Python handed over for after its return (modpy.h):
 * the end of a response whose writer is done, so it is not flushed; Apache
 * ends the request next, and a response that is all here goes out with a
 * Content-Length, as mod_cgid's does when the script ended before Apache
 * read its pipe. */
static void write_handed_over(request_rec *r)
{
    modpy_req_conf *rconf = ap_get_module_config(r->request_config, &pyshim_module);

    if (rconf && rconf->after_len) {
        ap_rwrite(rconf->after, rconf->after_len, r);
        rconf->after = NULL;
        rconf->after_len = 0;
    }
}

/* The id of the Python config in effect for the request, if one is known
 * yet: a leaf's, or the one Python resolved this merged record to (else 0,
 * and Python resolves it from r->per_dir_config). */
static int config_id(request_rec *r)
{
    const modpy_dir_conf *dconf = ap_get_module_config(r->per_dir_config, &pyshim_module);
    return !dconf ? 0 : dconf->id ? dconf->id : dconf->merged;
}

static int phase(request_rec *r, int which)
{
    unsigned int phases = python_phases(r);
    int status;

    if (!((phases >> which) & 1))
        return DECLINED;
    if (which >= MODPY_HANDLER && !(phases >> (which + 1)))
        which |= MODPY_LAST_PHASE;
    modpy_call_begins(py.calls);
    status = py.phase(r, which, config_id(r));
    modpy_call_ends(py.calls);
    write_handed_over(r);
    return status;
}

static int post_read_request(request_rec *r) { return phase(r, MODPY_POST_READ_REQUEST); }
static int translate_name(request_rec *r)    { return phase(r, MODPY_TRANS); }

/* A <Location> whose content handler is Python maps to no file, as in
 * mod_python: once the other modules' translations (Alias, RewriteRule)
 * declined, the URI is left unmapped, and map_to_storage skips the
 * directory and file walks that would look for one. */
static int no_file(request_rec *r)
{
    const modpy_dir_conf *dconf = ap_get_module_config(r->per_dir_config, &pyshim_module);
    return dconf && dconf->no_file && !r->filename ? OK : DECLINED;
}
static int header_parser(request_rec *r)     { return phase(r, MODPY_HEADER_PARSER); }
static int access_checker(request_rec *r)    { return phase(r, MODPY_ACCESS); }
static int check_authn(request_rec *r)       { return phase(r, MODPY_AUTHEN); }
static int check_authz(request_rec *r)       { return phase(r, MODPY_AUTHZ); }
static int type_checker(request_rec *r)      { return phase(r, MODPY_TYPE); }
static int fixups(request_rec *r)            { return phase(r, MODPY_FIXUP); }

static int handler(request_rec *r)
{
    if (!modpy_is_python_handler(r->handler))
        return DECLINED;
    return phase(r, MODPY_HANDLER);
}

/* PythonCleanupHandler runs as the request pool goes away. */
static apr_status_t cleanup_request(void *r)
{
    if (!py.calls->interrupted)
        phase(r, MODPY_CLEANUP);
    return APR_SUCCESS;
}

static int log_transaction(request_rec *r)
{
    int status = phase(r, MODPY_LOG);
    if (wanted(r, MODPY_CLEANUP))
        apr_pool_cleanup_register(r->pool, r, cleanup_request, apr_pool_cleanup_null);
    return status;
}

static int process_connection(conn_rec *c)
{
    const modpy_srv_conf *sconf = ap_get_module_config(c->base_server->module_config,
                                                       &pyshim_module);
    int status;

    if (!sconf->connection)
        return DECLINED;
    modpy_call_begins(py.calls);
    status = py.connection(c, sconf);
    modpy_call_ends(py.calls);
    return status;
}

/* ------------------------------------------------------------------ */
/* Server lifecycle.                                                   */

static int pre_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp)
{
    const char *rival = rival_loaded(ptemp);

    if (rival) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, 0, NULL, APLOGNO(10402) "%s", rival);
        return !OK;
    }
    boot(pconf);
    if (!boot_error)
        return OK;
    ap_log_error(APLOG_MARK, APLOG_CRIT, 0, NULL, APLOGNO(10401) "%s", boot_error);
    return !OK;
}

/* Python's after-fork state (GIL, thread states, threading) is rebuilt in
 * any process forked since Python started -- each child, and the parent
 * after it detaches -- before anything there enters Python. */
static void python_after_fork(void)
{
    PyGILState_STATE gil;

    if (getpid() == python_pid || !Py_IsInitialized())
        return;
    gil = PyGILState_Ensure();
    PyOS_AfterFork_Child();
    PyGILState_Release(gil);
    python_pid = getpid();
}

/* <!--#python exec="..." --> and <!--#python eval="..." --> in a page that
 * mod_include parses (as mod_python offers them): the element's first
 * attribute and its value go to Python, which writes into `bb`; anything
 * wrong shows as mod_include's error text. */
static APR_OPTIONAL_FN_TYPE(ap_ssi_get_tag_and_value) *ssi_tag_and_value;

static apr_status_t include_python(include_ctx_t *ctx, ap_filter_t *f, apr_bucket_brigade *bb)
{
    char *tag = NULL, *value = NULL;
    int status;

    if (!(ctx->flags & SSI_FLAG_PRINTING))
        return APR_SUCCESS;
    ssi_tag_and_value(ctx, &tag, &value, SSI_VALUE_DECODED);
    if (!tag || !value) {
        SSI_CREATE_ERROR_BUCKET(ctx, f, bb);
        return APR_SUCCESS;
    }
    modpy_call_begins(py.calls);
    status = py.include(f, bb, tag, value);
    modpy_call_ends(py.calls);
    if (status != OK)
        SSI_CREATE_ERROR_BUCKET(ctx, f, bb);
    return APR_SUCCESS;
}

static int post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    APR_OPTIONAL_FN_TYPE(ap_register_include_handler) *register_include;

    python_after_fork();
    /* mod_include makes its table of elements in its own post_config,
     * which runs first (APR_HOOK_REALLY_FIRST) */
    register_include = APR_RETRIEVE_OPTIONAL_FN(ap_register_include_handler);
    ssi_tag_and_value = APR_RETRIEVE_OPTIONAL_FN(ap_ssi_get_tag_and_value);
    if (register_include && ssi_tag_and_value)
        register_include("python", include_python);
    return py.post_config(pconf, s);
}

/* Dying inside Python.  A prefork child ends in the handler of SIGHUP or
 * SIGTERM (Apache's just_die), which destroys the child's pools -- running
 * their cleanups -- wherever the signal struck.  Struck inside Python, a
 * cleanup entering Python again would run Python in the middle of Python
 * (seen: a garbage collection, then a segfault).  So the signal first
 * notes whether Python was running; the cleanups that call Python then
 * skip it, and the process exits as Apache meant. */
static void (*apache_on_signal[NSIG])(int);

static void note_python_then_die(int sig)
{
    sig_atomic_t was = py.calls->interrupted;

    if (__atomic_load_n(&py.calls->running, __ATOMIC_RELAXED) > 0)
        py.calls->interrupted = 1;
    apache_on_signal[sig](sig);
    py.calls->interrupted = was;     /* Apache's handler returned: no exit */
}

/* Put note_python_then_die in front of Apache's handler of `sig`, with
 * Apache's flags and mask. */
static void wrap_signal(int sig)
{
    struct sigaction act;

    if (sigaction(sig, NULL, &act) != 0 || (act.sa_flags & SA_SIGINFO)
        || act.sa_handler == SIG_DFL || act.sa_handler == SIG_IGN
        || act.sa_handler == note_python_then_die)
        return;
    apache_on_signal[sig] = act.sa_handler;
    act.sa_handler = note_python_then_die;
    sigaction(sig, &act, NULL);
}

static void child_init(apr_pool_t *pchild, server_rec *s)
{
    int threaded;

    python_after_fork();
    /* threaded MPMs end children outside signal handlers, after the
     * request threads are done */
    if (ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded) == APR_SUCCESS
        && threaded == AP_MPMQ_NOT_SUPPORTED) {
        wrap_signal(SIGHUP);
        wrap_signal(SIGTERM);
    }
    modpy_call_begins(py.calls);     /* PythonImport modules run here */
    py.child_init(pchild, s);
    modpy_call_ends(py.calls);
}

static void register_hooks(apr_pool_t *p)
{
    python_pid = getpid();           /* a reload: Python's state is this process's */
    ap_hook_pre_config(pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_process_connection(process_connection, NULL, NULL, APR_HOOK_MIDDLE);

    /* In the phases where the first module to answer ends the phase (trans,
     * authn, authz, type) a configured Python handler goes first: else
     * mod_alias, mod_auth_basic or mod_mime would answer before it ever ran.
     * Without a Python handler the fast path declines and the others run as
     * if modpy were not there. */
    ap_hook_post_read_request(post_read_request, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_translate_name(translate_name, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_translate_name(no_file, NULL, NULL, APR_HOOK_LAST);
    ap_hook_map_to_storage(no_file, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_header_parser(header_parser, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_access_checker(access_checker, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_authn(check_authn, NULL, NULL, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authz(check_authz, NULL, NULL, APR_HOOK_FIRST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_type_checker(type_checker, NULL, NULL, APR_HOOK_FIRST);
    ap_hook_fixups(fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_log_transaction(log_transaction, NULL, NULL, APR_HOOK_MIDDLE);
}

module AP_MODULE_DECLARE_DATA pyshim_module = {
    STANDARD20_MODULE_STUFF,
    create_dir_config,
    merge_dir_config,
    create_srv_config,
    merge_srv_config,
    directives,
    register_hooks
};
