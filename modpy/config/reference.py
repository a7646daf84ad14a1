"""The directive reference: what each Python* directive and each
PythonOption key that modpy reads does, beside the directive table, and
docs/directives.md rendered from it (`python -m modpy.config.reference`).

Pure data and text.  tests/config/test_reference_unit.py holds it to the
truth: one entry for every directive of the table and of the shim (with the
shim's contexts), one for every option key the code reads, and the
rendered file equal to docs/directives.md.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

SERVER = ("server config", "virtual host")
ANYWHERE = ("server config", "virtual host", "directory", ".htaccess")
HANDLER_SYNTAX = "handler [handler ...]"
EXTENSIONS_SYNTAX = " [| .ext [.ext ...]]"
HANDLER_TEXT = ("Handlers are `module`, `module::object` or `/path/to/file.py[::object]`; the object "
                "defaults to the phase's function name ({function}). Several handlers, on one line or "
                "several, run in order by the phase's stacking rule ({rule}).")
EXTENSIONS_TEXT = " `| .ext` restricts them to files with those extensions."


@dataclass(frozen=True)
class Directive:
    syntax: str
    contexts: tuple
    text: str
    default: Optional[str] = None


@dataclass(frozen=True)
class Option:
    text: str
    default: Optional[str] = None


def _handler(phase: str, function: str, rule: str, contexts: tuple = ANYWHERE) -> Directive:
    """A phase's handler directive; before the URI is translated no file is
    known, so only the later phases take `| .ext`."""
    exts = contexts != SERVER
    return Directive(HANDLER_SYNTAX + EXTENSIONS_SYNTAX * exts, contexts,
                     f"{phase} " + HANDLER_TEXT.format(function=f"`{function}`", rule=rule)
                     + EXTENSIONS_TEXT * exts)


_ALL = "every handler runs while they return OK or DECLINED; an error status ends the phase"
_FIRST = "the next runs only if one returns DECLINED; the first other answer ends the phase"

DIRECTIVES: dict[str, Directive] = {
    "PythonPostReadRequestHandler": _handler(
        "Runs right after the request is read, before the URI is translated; no directory is known "
        "yet, so it stands only at server or virtual-host level.", "postreadrequesthandler", _ALL, SERVER),
    "PythonTransHandler": _handler(
        "Translates the URI into a file name (`req.filename`), before Apache's own translation (Alias, "
        "DocumentRoot); server or virtual-host level only.", "transhandler", _FIRST, SERVER),
    "PythonHeaderParserHandler": _handler(
        "Runs once the request's section is known, before access control.", "headerparserhandler", _ALL),
    "PythonInitHandler": _handler(
        "At server level the same as PythonPostReadRequestHandler, in a directory the same as "
        "PythonHeaderParserHandler: the first phase with Python for that place.", "inithandler", _ALL),
    "PythonAccessHandler": _handler(
        "Access control by anything but the user (address, header, time): return OK to go on, "
        "HTTP_FORBIDDEN to refuse.", "accesshandler", _ALL),
    "PythonAuthenHandler": _handler(
        "Authentication: checks `req.user` and the password (`req.get_basic_auth_pw()`); runs before "
        "Apache's own authentication modules.", "authenhandler", _FIRST),
    "PythonAuthzHandler": _handler(
        "Authorization: may the authenticated user have this resource.", "authzhandler", _FIRST),
    "PythonTypeHandler": _handler(
        "Sets the content type, encoding and language of the response (before mod_mime).",
        "typehandler", _FIRST),
    "PythonFixupHandler": _handler(
        "The last phase before the content: fix up headers, notes, the handler.", "fixuphandler", _ALL),
    "PythonHandler": _handler(
        "The content handler: writes the response. Used with `SetHandler mod_python` (or "
        "`AddHandler mod_python .ext`). The next handler runs only after one returns OK; any other "
        "status is the answer (DECLINED: Apache's own handler serves the request).", "handler",
        "the next runs only if one returns OK; the first other status is the answer"),
    "PythonLogHandler": _handler(
        "Runs after the response, when Apache logs the request.", "loghandler", _ALL),
    "PythonCleanupHandler": _handler(
        "Runs as the request's memory is freed, after everything else; results and errors do not "
        "change the response.", "cleanuphandler",
        "the next runs only if one returns OK; what they return changes nothing"),
    "PythonInputFilter": Directive(
        "handler name", SERVER,
        "Registers `handler` (default function `inputfilter`) as an input filter called `name`; "
        "`SetInputFilter name` or `AddInputFilter name .ext` put it in a request's input chain."),
    "PythonOutputFilter": Directive(
        "handler name", SERVER,
        "Registers `handler` (default function `outputfilter`) as an output filter called `name`; "
        "`SetOutputFilter`, `AddOutputFilter` or `req.add_output_filter()` put it in a chain."),
    "PythonConnectionHandler": Directive(
        "handler", SERVER,
        "The whole connection goes to `handler(conn)` (default function `connectionhandler`) instead "
        "of HTTP: it reads and writes the socket through the connection's filters."),
    "PythonEnablePdb": Directive(
        "On|Off", ANYWHERE,
        "Runs each handler under pdb, stopping at its first line (with `apache2 -X`, or `serve --debug`, "
        "on the terminal). See docs/debugging.md.", "Off"),
    "PythonDebug": Directive(
        "On|Off", ANYWHERE,
        "A failing handler's traceback becomes the response body (if nothing was sent yet) as well as "
        "going to the error log. Never On in production.", "Off"),
    "PythonImport": Directive(
        "module interpreter_name", SERVER,
        "Imports `module` into the named interpreter in every child as it starts (warm-up, "
        "connection pools). A module that fails is logged; the child goes on."),
    "PythonInterpPerDirectory": Directive(
        "On|Off", ANYWHERE,
        "Names the interpreter after the directory of the file the request maps to, instead of the "
        "virtual host's name.", "Off"),
    "PythonInterpPerDirective": Directive(
        "On|Off", ANYWHERE,
        "Names the interpreter after the directory of the section the handler's directive stands "
        "in.", "Off"),
    "PythonInterpreter": Directive(
        "name", ANYWHERE,
        "The interpreter name for handlers here. modpy's interpreters are namespaces of handler "
        "modules in one Python, not sub-interpreters (docs/interpreters.md).",
        "the virtual host's name"),
    "PythonHandlerModule": Directive(
        "module", ANYWHERE,
        "One module for every phase: each phase calls the module's function of that phase's name, "
        "if it has one (missing ones are skipped silently)."),
    "PythonAutoReload": Directive(
        "On|Off", ANYWHERE,
        "Reloads a handler module (and the modules it imported from its own directory) when its file "
        "changes.", "On"),
    "PythonOptimize": Directive(
        "On|Off", SERVER, "Compiles handler modules as `python -O` would (asserts removed).", "Off"),
    "PythonOption": Directive(
        "key [value]", ANYWHERE,
        "Sets `key` to `value` in `req.get_options()`; without a value, removes a key set in an "
        "enclosing section. The keys modpy itself reads are listed below."),
    "PythonPath": Directive(
        '"python-list-expression"', ANYWHERE,
        "sys.path while the handlers here run, as a Python expression: "
        "`PythonPath \"sys.path + ['/srv/lib']\"`. Evaluated when it changes, not per request.",
        "sys.path, with the handler's own directory first"),
    "PythonDirectives": Directive(
        "package.module [/dir/on/sys.path]", SERVER,
        "modpy's: declares your own directives (the module's `DIRECTIVES` list of "
        "`modpy.userdirectives.Directive`), usable on the lines that follow, read by handlers with "
        "`req.get_directive()`. Runs as Apache reads it."),
    "PythonHome": Directive(
        "/prefix", SERVER,
        "modpy's: the prefix (a virtualenv, or /usr) of the python to embed: `/prefix/bin/pythonX.Y` "
        "for the version modpy was built for. Read as Apache reads the file, before Python starts, so "
        "it applies to the whole server wherever it stands; put it next to LoadModule, before any "
        "other Python* directive. `python -m modpy module-config` prints it. A changed value takes "
        "effect at a full stop and start.", "the python modpy was built with"),
}

OPTIONS: dict[str, Option] = {
    "mod_python.session.session_type": Option(
        "The class `Session.Session(req)` makes: `DbmSession`, `FileSession`, `MemorySession` or "
        "`RedisSession`.", "MemorySession when the MPM runs one process of threads, else DbmSession"),
    "session": Option("mod_python 3.3's name of mod_python.session.session_type."),
    "mod_python.session.cookie_name": Option("The session cookie's name.", "pysid"),
    "mod_python.session.application_path": Option(
        "The session cookie's Path.", "the handler's directory below DocumentRoot, else /"),
    "ApplicationPath": Option("mod_python 3.3's name of mod_python.session.application_path."),
    "mod_python.session.application_domain": Option("The session cookie's Domain.", "none"),
    "mod_python.session.database_directory": Option(
        "Where DbmSession and FileSession keep their files.", "the system's temp directory"),
    "session_directory": Option("mod_python 3.3's name of mod_python.session.database_directory."),
    "mod_python.dbm_session.database_filename": Option(
        "DbmSession's database file.", "mp_sess.dbm in the database directory"),
    "session_dbm": Option("mod_python 3.3's name of mod_python.dbm_session.database_filename."),
    "mod_python.dbm_session.database_directory": Option("DbmSession's directory, before the general one."),
    "mod_python.file_session.database_directory": Option("FileSession's directory, before the general one."),
    "mod_python.file_session.enable_fast_cleanup": Option(
        "FileSession's cleanup goes by file times rather than opening each file.", "On"),
    "mod_python.file_session.verify_session_timeout": Option(
        "FileSession's fast cleanup still reads a file before deleting it.", "On"),
    "mod_python.file_session.cleanup_grace_period": Option(
        "Seconds past expiry before FileSession's cleanup deletes a session.", "240"),
    "mod_python.file_session.cleanup_time_limit": Option(
        "Seconds one FileSession cleanup may run.", "2"),
    "mod_python.redis_session.url": Option("RedisSession's server.", "redis://127.0.0.1:6379/0"),
    "mod_python.redis_session.key_prefix": Option("RedisSession's key prefix.", "mod_python.session:"),
    "mod_python.redis_session.lock_timeout": Option("Seconds RedisSession waits for a session's lock.", "60"),
    "mod_python.session.cookie_httponly": Option(
        "On: the session cookie is HttpOnly (off as in mod_python 3.5, whose suite reads every attribute "
        "of it as name=value).", "Off"),
    "mod_python.session.cookie_secure": Option(
        "On: the session cookie only over HTTPS, Off: never marked Secure.", "Secure when the request came over HTTPS"),
    "mod_python.session.cookie_samesite": Option(
        "The session cookie's SameSite: `Strict`, `Lax`, `None` or `off` (no attribute).", "Lax"),
    "mod_python.session.lock_wait": Option(
        "Seconds a request waits for a session's lock (every store) before it fails with LockTimeout (500).",
        "60"),
    "mod_python.form.max_fields": Option(
        "Most fields a form may have (query string and body together, counted before parsing); more is 413.",
        "1000"),
    "mod_python.form.max_size": Option(
        "Most bytes of a form held in memory (an urlencoded body, the text of multipart fields); more is 413.",
        "2621440"),
    "mod_python.form.max_files": Option("Most file uploads in one multipart form; more is 413.", "100"),
    "mod_python.mutex_locks": Option(
        "How many global locks (`_apache._global_lock`, sessions) the server makes, shared by all its "
        "children.", "8"),
    "mod_python.mutex_directory": Option("Where the global locks' files are.", "Apache's runtime directory"),
    "mod_python.wsgi.application": Option(
        "The WSGI application `PythonHandler mod_python.wsgi` runs: `module::object` (object "
        "`application` by default); a module next to the section loads like a handler module.",
        "required"),
    "mod_python.wsgi.base_uri": Option(
        "The URI prefix that becomes SCRIPT_NAME (the rest is PATH_INFO).",
        "none: SCRIPT_NAME empty, PATH_INFO the whole URI"),
    "modpy.timing": Option("On: each request logs how long each of its phases took (docs/debugging.md).", "Off"),
    "modpy.post_mortem": Option("On: a handler that raises opens pdb on its traceback (with apache2 -X).",
                                "Off"),
}


def _row(*cells: str) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def render() -> str:
    """docs/directives.md."""
    lines = [
        "# Directive reference",
        "",
        "Generated from `modpy/config/reference.py` (`python -m modpy.config.reference > docs/directives.md`);",
        "a test fails when it and the directive table disagree. The directives are mod_python 3.5's, with",
        "mod_python's meaning unless said, and two of modpy's own (PythonDirectives, PythonHome).",
        "",
    ]
    for name, d in DIRECTIVES.items():
        lines += [f"## {name}", "", f"    {name} {d.syntax}", "",
                  f"Context: {', '.join(d.contexts)}." + (f" Default: {d.default}." if d.default else ""), "",
                  d.text, ""]
    lines += ["## PythonOption keys modpy reads", "", _row("key", "what it sets", "default"),
              _row("---", "---", "---")]
    lines += [_row(f"`{key}`", o.text, o.default or "") for key, o in OPTIONS.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render(), end="")
