"""mod_python.httpdconf: Apache configurations written as Python objects.

    config = Container(Listen("8080"),
                       VirtualHost("*", ServerName("example"),
                                   Directory("/srv/www", SetHandler("mod_python"),
                                             PythonHandler("mod_python.publisher"))))
    print(config)          # the httpd.conf text
    print(repr(config))    # Python that builds the same object again

`str()` of an object is its configuration text (containers indent their
contents by two spaces); `repr()` is the Python expression that makes it,
which is how mod_python's tools keep a configuration as a script.  There
is one class per directive and section mod_python 3.5 named, and
Directive/ContainerTag for any other.  This is mod_python's public config
builder; modpy's own generator for its private Apaches is
modpy.tools.apacheconf.

Pure: it only builds text (and write_basic_config writes one file).
"""
from __future__ import annotations

import os
import shutil
import sys


def _slashes(text: str, flip: bool) -> str:
    return text.replace("\\", "/") if flip else text


class Directive:
    """One directive line: `name val`."""

    def __init__(self, name: str, val, flipslash: int = 1) -> None:
        self.name, self.val, self.flipslash, self.indent = name, val, flipslash, 0

    def __repr__(self) -> str:
        return _slashes(" " * self.indent + f"{self.name}({self.val!r})", self.flipslash)

    def __str__(self) -> str:
        return _slashes(" " * self.indent + f"{self.name} {self.val}\n", self.flipslash)


class Container:
    """A list of directives, sections and comments, written one after the
    other (no tag of its own).  `only_if`: a Python expression; when it is
    false the container writes nothing."""

    def __init__(self, *args, **kwargs) -> None:
        self.args = list(args)
        self.indent = 0
        self.only_if = kwargs.get("only_if")

    def append(self, value) -> None:
        if not isinstance(value, (Directive, Container, ContainerTag, Comment)):
            raise TypeError("appended value must be an instance of Directive, Container, "
                            "ContainerTag or Comment")
        self.args.append(value)

    def __repr__(self) -> str:
        pad = " " * self.indent
        parts = [pad + "Container("]
        for arg in self.args:
            arg.indent = self.indent + 4
            parts.append(f"{arg!r},")
        tail = f"    only_if={self.only_if!r})" if self.only_if else ")"
        return "\n".join(parts) + "\n" + pad + tail

    def __str__(self) -> str:
        if self.only_if and not eval(self.only_if, {"mod_python": _mod_python()}):
            return ""
        out = []
        for arg in self.args:
            arg.indent = self.indent
            out.append(str(arg))
        return "".join(out)


class ContainerTag:
    """A section: `<tag attr>`, its contents indented, `</tag>`."""

    def __init__(self, tag: str, attr, args, flipslash: int = 1) -> None:
        self.tag, self.attr, self.args, self.flipslash, self.indent = tag, attr, args, flipslash, 0

    def __repr__(self) -> str:
        pad = " " * self.indent
        parts = [_slashes(pad + f"{self.tag}({self.attr!r},", self.flipslash)]
        for arg in self.args:
            arg.indent = self.indent + 4
            parts.append(f"{arg!r},")
        return "\n".join(parts) + "\n" + pad + ")"

    def __str__(self) -> str:
        pad = " " * self.indent
        out = [_slashes(pad + f"<{self.tag} {self.attr}>\n", self.flipslash)]
        for arg in self.args:
            arg.indent = self.indent + 2
            out.append(str(arg))
        return "".join(out) + pad + f"</{self.tag}>\n"


class Comment:
    """`# ` before each line of the text."""

    def __init__(self, comment: str) -> None:
        self.comment, self.indent = comment, 0

    def __repr__(self) -> str:
        pad = " " * self.indent
        lines = self.comment.splitlines() or [""]
        first = f"Comment({lines[0] + chr(10)!r}"
        rest = "".join(f"\n        {pad}{line + chr(10)!r}" for line in lines[1:])
        return pad + first + rest + ")"

    def __str__(self) -> str:
        pad = " " * self.indent
        return "".join(f"{pad}# {line}\n" for line in self.comment.splitlines())


# One class per directive mod_python 3.5 named: `AddType("text/html .shtml")`.
DIRECTIVES = (
    "AddHandler", "AddOutputFilter", "AddType", "AuthBasicAuthoritative", "AuthBasicProvider",
    "AuthType", "AuthName", "CustomLog", "DirectoryIndex", "DocumentRoot", "ErrorLog",
    "KeepAliveTimeout", "Listen", "LoadModule", "LogLevel", "LogFormat", "LockFile",
    "MaxConnectionsPerChild", "MaxClients", "MaxRequestsPerChild", "MaxSpareServers",
    "MaxSpareThreads", "MaxThreadsPerChild", "MinSpareThreads", "Mutex", "NameVirtualHost",
    "NumServers", "Options", "PidFile", "PythonAuthenHandler", "PythonAuthzHandler",
    "PythonCleanupHandler", "PythonConnectionHandler", "PythonDebug", "PythonHandler",
    "PythonAccessHandler", "PythonPostReadRequestHandler", "PythonTransHandler",
    "PythonFixupHandler", "PythonImport", "PythonPath", "PythonOutputFilter", "PythonOption",
    "Require", "SetHandler", "ServerAdmin", "ServerName", "ServerPath", "ServerRoot",
    "StartServers", "StartThreads", "ThreadsPerChild", "Timeout", "TypesConfig",
    "PythonInterpPerDirectory", "PythonInterpPerDirective",
)
# ... and per section: `Directory("/srv/www", SetHandler("mod_python"), ...)`.
SECTIONS = ("Directory", "Files", "IfModule", "Location", "VirtualHost")


def _directive_class(name: str) -> type:
    def __init__(self, val) -> None:
        Directive.__init__(self, name, val)
    return type(name, (Directive,), {"__init__": __init__, "__module__": __name__,
                                     "__doc__": f"The {name} directive."})


def _section_class(name: str) -> type:
    def __init__(self, attr, *args) -> None:
        ContainerTag.__init__(self, name, attr, args)
    return type(name, (ContainerTag,), {"__init__": __init__, "__module__": __name__,
                                        "__doc__": f"A <{name}> section."})


_CLASSES = {**{name: _directive_class(name) for name in DIRECTIVES},
            **{name: _section_class(name) for name in SECTIONS}}
globals().update(_CLASSES)


def quote_if_space(s: str) -> str:
    """`s` in double quotes when it has a space (a path, say)."""
    return f'"{s}"' if " " in s else s


def _mod_python():
    import mod_python
    import mod_python.version  # noqa: F401  (the names `only_if` expressions use)
    return mod_python


# the modules a basic site needs, loaded from Apache's module directory
BASIC_MODULES = ("authn_file", "authn_core", "authz_host", "authz_groupfile", "authz_user",
                 "authz_core", "access_compat", "auth_basic", "reqtimeout", "include", "filter",
                 "mime", "log_config", "env", "headers", "setenvif", "version", "unixd", "status",
                 "autoindex", "dir", "alias")


def write_basic_config(server_root, listen="0.0.0.0:8888", conf="conf", logs="logs",
                       htdocs="public", pythonhandler="mod_python.publisher",
                       pythonpath=(), pythonoptions=(), mp_comments=(),
                       conf_name="httpd_conf.py", createdirs=True, replace_config=False):
    """Write `<server_root>/<conf>/<conf_name>`: a Python script that prints
    an Apache configuration for a site under server_root served by
    `pythonhandler` through modpy (mod_python's `mod_python create`).
    Returns its path, or None (and says why on stderr) when it exists and
    replace_config is false."""
    from modpy import _buildinfo as build
    from modpy.tools.apacheconf import SHIM

    D = _CLASSES
    conf_path = os.path.join(server_root, conf, conf_name)
    if os.path.exists(conf_path) and not replace_config:
        print(f"Error: {conf_path!r} already exists, aborting.", file=sys.stderr)
        return None
    if createdirs:
        for d in (server_root, os.path.join(server_root, htdocs), os.path.join(server_root, conf),
                  os.path.join(server_root, logs)):
            os.makedirs(d, exist_ok=True)
        mime_types = os.path.join(server_root, conf, "mime.types")
        for source in (os.path.join(build.SYSCONFDIR, "mime.types"), "/etc/mime.types"):
            if not os.path.exists(mime_types) and os.path.isfile(source):
                shutil.copy(source, mime_types)
    modules = Container(Comment("\nLoad the necessary modules (this is the default httpd set):\n\n"))
    mpm = os.path.join(build.LIBEXECDIR, "mod_mpm_event.so")    # where the MPM is a module (Debian)
    modules.append(Container(D["IfModule"]("!mpm_event_module", D["LoadModule"](f"mpm_event_module {quote_if_space(mpm)}")),
                             only_if=f"__import__('os').path.exists({mpm!r})"))
    for name in BASIC_MODULES:
        path = os.path.join(build.LIBEXECDIR, f"mod_{name}.so")
        modules.append(Container(D["LoadModule"](f"{name}_module {quote_if_space(path)}"),
                                 only_if=f"__import__('os').path.exists({path!r})"))
    main = Container(
        Comment("\nMain configuration options:\n\n"),
        D["ServerRoot"](server_root),
        D["MaxConnectionsPerChild"]("65536"),
        # no quotes inside: repr() and the slash flipping would break them
        D["LogFormat"]('"%h %l %u %t %r %>s %b" common'),
        D["CustomLog"](f"{quote_if_space(os.path.join(logs, 'access_log'))} common"),
        D["ErrorLog"](quote_if_space(os.path.join(logs, "error_log"))),
        D["LogLevel"]("warn"),
        D["PidFile"](quote_if_space(os.path.join(logs, "httpd.pid"))),
        D["TypesConfig"](quote_if_space(os.path.join(conf, "mime.types"))),
        D["ServerName"]("127.0.0.1"),
        D["Listen"](listen),
        D["DocumentRoot"](quote_if_space(os.path.join(server_root, htdocs))),
    )
    site = Container(Comment("\nmodpy (mod_python) options:\n\n"),
                     D["LoadModule"](f"pyshim_module {quote_if_space(SHIM)}"),
                     D["SetHandler"]("mod_python"),
                     Comment("PythonDebug On"),
                     D["PythonHandler"](pythonhandler))
    if pythonpath:
        site.append(D["PythonPath"]('"sys.path+[%s]"' % "".join(f"{p!r}," for p in pythonpath)))
    for option in pythonoptions:
        site.append(D["PythonOption"](option))
    for comment in mp_comments:
        site.append(Comment(comment))
    config = Container(Comment("\nThis config was auto-generated, do not edit!\n\n"), modules, main, site)
    with open(conf_path, "w") as f:
        f.write(f"#!{build.PYTHON}\n\n"
                "#\n# This config was auto-generated, but you can edit it!\n"
                "# Run it to print an Apache configuration:\n"
                f"# $ python {conf_name} > httpd.conf\n#\n\n"
                "from mod_python.httpdconf import *\n\n"
                f"config = {config!r}\n\nprint(config)\n")
    print(f"Writing {conf_path!r}.", file=sys.stderr)
    return conf_path
