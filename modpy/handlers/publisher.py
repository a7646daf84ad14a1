"""mod_python.publisher: URLs map to the functions and objects of a module.

    <Directory /some/dir>
        SetHandler mod_python
        PythonHandler mod_python.publisher
    </Directory>

The module is req.filename with its extension replaced by .py (index.py for
a directory, and index.py too when that module is missing: its name is then
the first object name, as mod_python does); path_info names the object
inside it, one element per path segment ("index" when none).  A function
is called with the form fields that match its arguments (and `req`); what
it returns is the response.

Security, as mod_python's traversal rules: a name starting with "_", a step
into an object of a built-in type (a function, a method, a module, a class
...), and publishing a module, a class or a builtin are 403 (and a function
imported from another module too: modpy's own rule); a name that is not
there is 404.  __auth__/__access__/__auth_realm__ at each step guard with
HTTP Basic authentication (401) and an access check (403).
"""
from __future__ import annotations

import ast
import base64
import binascii
import inspect
import os
import textwrap
import types
from typing import Any, Optional

from modpy import constants as C
from modpy.core.credentials import credential_text
from modpy.core.errors import SERVER_RETURN
from modpy.phases import importer

_UNPUBLISHABLE = (types.ModuleType, type, types.BuiltinFunctionType, types.BuiltinMethodType,
                  types.MethodWrapperType, types.WrapperDescriptorType, types.CodeType,
                  types.FrameType, types.GeneratorType)


def module_path(filename: Optional[str]) -> str:
    """The .py file a request publishes from."""
    if not filename or os.path.isdir(filename):
        return os.path.join(filename or "", "index.py")
    return os.path.splitext(filename)[0] + ".py"


def _segments(path_info: Optional[str]) -> list[str]:
    return [p for p in (path_info or "").split("/") if p]


def path_names(path_info: Optional[str]) -> list[str]:
    """The object names of path_info; "index" when it names none."""
    return _segments(path_info) or ["index"]


def target(filename: Optional[str], path_info: Optional[str]) -> tuple[str, list[str]]:
    """(module file, object names) of a request: when the module is
    missing, index.py beside it, whose object the module's name is
    (mod_python's fallback: /foobar publishes index.py's foobar)."""
    path = module_path(filename)
    if os.path.isfile(path) or not filename or os.path.isdir(filename):
        return path, path_names(path_info)
    stem = os.path.basename(os.path.splitext(path)[0])
    return os.path.join(os.path.dirname(path), "index.py"), [stem] + _segments(path_info)


def _refuse(status: int, why: str, req) -> None:
    req.log_error(f"mod_python.publisher: {why}", C.APLOG_INFO)
    raise SERVER_RETURN(status)


# mod_python's rule: an object of a type the `types` module names (functions,
# methods, modules, code, frames ...), or a class, is not traversed into
_NOT_TRAVERSABLE = frozenset(t for t in vars(types).values() if isinstance(t, type)) | {type}


def _traversable(obj: Any) -> bool:
    return type(obj) not in _NOT_TRAVERSABLE and not isinstance(obj, type)


def _published(obj: Any, module: types.ModuleType) -> bool:
    """An object the module itself offers: not an import of someone else's
    function, nor a module, class or builtin."""
    if isinstance(obj, _UNPUBLISHABLE):
        return False
    func = getattr(obj, "__func__", obj)
    if isinstance(func, types.FunctionType):
        return func.__module__ == module.__name__ or func.__globals__ is module.__dict__
    return True


# authentication ------------------------------------------------------------

_MISSING = object()   # no such guard (None is a guard: a false __auth__)

def _nested(func: Any, name: str) -> Any:
    """An __auth__/__access__ written inside the published function's body:
    a nested def (code constant) becomes a function; a constant assigned
    there (dict, list, str) is found from the code too."""
    code = getattr(func, "__code__", None)
    if code is None:
        return _MISSING
    for const in code.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == name:
            return types.FunctionType(const, func.__globals__, name)
    if name not in code.co_varnames:
        return _MISSING                    # not assigned in the body: skip the source
    return _assigned_constant(func, name)


def _assigned_constant(func: Any, name: str) -> Any:
    """`__access__ = ["a"]` written in a function body: read the literal
    from the source, without running the function."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return _MISSING
    node = tree.body[0] if tree.body else None
    for stmt in getattr(node, "body", ()):
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            try:
                return ast.literal_eval(stmt.value)
            except ValueError:
                return _MISSING
    return _MISSING


def _guard(obj: Any, name: str) -> Any:
    found = getattr(obj, name, _MISSING)
    func = obj.__func__ if isinstance(obj, types.MethodType) else obj
    if found is _MISSING and isinstance(func, types.FunctionType):
        found = _nested(func, name)
    return found


def _credentials(req) -> tuple[Optional[str], Optional[str]]:
    header = req.headers_in.get("Authorization")
    if not header:
        return None, None
    scheme, _, data = header.partition(" ")
    if scheme.lower() != "basic":
        return None, None
    try:
        decoded = credential_text(base64.b64decode(data.strip(), validate=True))
    except (binascii.Error, ValueError):
        return None, None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else (None, None)


def _check(req, obj: Any, state: dict) -> None:
    """Apply the guards one traversal step carries (the manual's order:
    __auth__, then __access__; the realm is kept for the 401)."""
    realm = _guard(obj, "__auth_realm__")
    if realm is not _MISSING:
        state["realm"] = str(realm)
    auth = _guard(obj, "__auth__")
    if auth is not _MISSING:
        user, password = _credentials(req)
        if callable(auth):
            ok = user is not None and auth(req, user, password)
        elif isinstance(auth, dict):
            ok = user is not None and user in auth and auth[user] == password
        else:
            ok = bool(auth)
        if not ok:
            req.err_headers_out["WWW-Authenticate"] = f'Basic realm="{state["realm"]}"'
            _refuse(C.HTTP_UNAUTHORIZED, f"authentication failed for {req.uri!r}", req)
        if user is not None:
            req.user = user
            state["user"] = user
    access = _guard(obj, "__access__")
    if access is not _MISSING:
        user = state.get("user")
        if callable(access):
            ok = access(req, user)
        elif isinstance(access, (list, tuple, set, frozenset)):
            ok = user in access
        else:
            ok = bool(access)
        if not ok:
            _refuse(C.HTTP_FORBIDDEN, f"access to {req.uri!r} denied to {user!r}", req)


# traversal and invocation ----------------------------------------------------

def traverse(req, module: types.ModuleType, names: list[str]) -> Any:
    state = {"realm": "unknown"}
    _check(req, module, state)
    obj = module
    for name in names:
        if name.startswith("_"):
            _refuse(C.HTTP_FORBIDDEN, f"{name!r} starts with '_' and is not published", req)
        if obj is not module and not _traversable(obj):
            _refuse(C.HTTP_FORBIDDEN, f"{name!r}: a {type(obj).__name__} is not traversed", req)
        if not hasattr(obj, name):
            _refuse(C.HTTP_NOT_FOUND, f"{req.uri!r}: no object {name!r}", req)
        obj = getattr(obj, name)
        _check(req, obj, state)
    if not _published(obj, module):
        _refuse(C.HTTP_FORBIDDEN, f"{names[-1]!r} is a {type(obj).__name__}, not published", req)
    return obj


def request_form(req):
    """The request's form fields (req.form), parsed once."""
    form = getattr(req, "form", None)
    if form is None:
        from modpy.library.util import FieldStorage
        form = req.form = FieldStorage(req, keep_blank_values=1)
    return form


def _field_value(form, name: str) -> Any:
    values = form.getlist(name)
    return values[0] if len(values) == 1 else values


def call(req, func: Any, extra: Optional[dict] = None) -> Any:
    """Call `func` with req and the form fields its arguments name (and
    `extra` keyword arguments, which win over fields)."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return func()
    kwargs: dict = {}
    takes_all = any(p.kind is p.VAR_KEYWORD for p in params.values())
    wanted = [n for n, p in params.items()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if takes_all or any(n != "req" for n in wanted):
        form = request_form(req)
        names = form.keys() if takes_all else [n for n in wanted if n != "req"]
        for name in names:
            if name != "req" and name in form:
                kwargs[name] = _field_value(form, name)
    if "req" in params:
        kwargs["req"] = req
    if extra:
        kwargs.update(extra if takes_all else {k: v for k, v in extra.items() if k in params})
    missing = [n for n in wanted if n not in kwargs and params[n].default is params[n].empty]
    if missing:
        _refuse(C.HTTP_BAD_REQUEST, f"{req.uri!r}: missing form field(s) {', '.join(missing)}", req)
    return func(**kwargs)


def guess_content_type(body: str) -> str:
    """text/html when the result looks like an HTML document, else text/plain."""
    head = body[:200].lstrip().lower()
    return "text/html" if head.startswith(("<html", "<!doctype html")) else "text/plain"


def handler(req) -> int:
    path, names = target(req.filename, req.path_info)
    if not os.path.isfile(path):
        _refuse(C.HTTP_NOT_FOUND, f"no module {path!r} for {req.uri!r}", req)
    module = importer.namespace(req.interpreter or "main_interpreter").load_file(
        path, req._config.autoreload is not False)
    obj = traverse(req, module, names)
    type_before = req.content_type
    result = call(req, obj) if callable(obj) else obj
    if result is None:
        result = ""
    if not isinstance(result, bytes):
        result = str(result)
    if req.content_type == type_before or not req.content_type:
        req.content_type = guess_content_type(result) if isinstance(result, str) \
            else "application/octet-stream"
    if result and not req.header_only:
        req.write(result, 0)
    return C.OK
