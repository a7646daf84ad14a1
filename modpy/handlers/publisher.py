"""mod_python.publisher: URLs map to the functions and objects of a module.

    <Directory /some/dir>
        SetHandler mod_python
        PythonHandler mod_python.publisher
    </Directory>

The module is req.filename with .py, or an extension AddHandler maps to
mod_python there (req.get_addhandler_exts()), replaced by .py, as mod_python
does (index.py for a directory, and index.py too when that module is
missing: its name is then the first object name); path_info names the
object inside it, one element per path segment ("index" when none).  A function
is called with the form fields that match its arguments (and `req`); what
it returns is the response.

Security, as mod_python's traversal rules and more: only GET, POST and
HEAD are served (405 otherwise, as mod_python 3.3+); a name starting with
"_", a step into an object of a built-in type (a function, a method, a
module, a class ...), and anything the module did not define itself to be
published (a module, a class, a builtin, an imported function or an object
of another module's class) are 403, as mod_python answers; a name that is
not there is 404, and so is one only code would compute: attributes are
looked up without running getters.  __auth__/__access__/__auth_realm__ at
each step guard with HTTP Basic authentication (401) and an access check
(403); a guard that cannot be read refuses the request (500), never lets
it through.
"""
from __future__ import annotations

import ast
import base64
import binascii
import hmac
import inspect
import os
import textwrap
import types
from typing import Any, Iterable, Optional

from modpy import constants as C
from modpy.core.credentials import credential_text
from modpy.core.errors import SERVER_RETURN
from modpy.library.util import FieldStorage, form_arguments
from modpy.phases import importer

_UNPUBLISHABLE = (types.ModuleType, type, types.BuiltinFunctionType, types.BuiltinMethodType,
                  types.MethodWrapperType, types.WrapperDescriptorType, types.CodeType,
                  types.FrameType, types.GeneratorType)
# plain data a module may define and publish (its type says nothing of where it came from)
_DATA = frozenset({str, bytes, int, float, complex, bool, type(None), list, tuple, dict,
                   set, frozenset})
METHODS = ("GET", "POST", "HEAD")        # what mod_python 3.3+ publishes to
_MISSING = object()      # no such attribute or guard (None is a guard: a false __auth__)
_UNREADABLE = object()   # a guard assigned in a function body that cannot be read


def module_path(filename: Optional[str], suffixes: Iterable[str] = ()) -> str:
    """The .py file a request publishes from: `filename` without its .py or
    one of the `suffixes` (extensions without the dot, as
    req.get_addhandler_exts() gives them), + .py.  Any other extension
    stays part of the module's name (page.html is page.html.py), as
    mod_python's publisher has it; the longest suffix that ends the file's
    name goes, case and all."""
    if not filename or os.path.isdir(filename):
        return os.path.join(filename or "", "index.py")
    head, name = os.path.split(filename)
    endings = [ending for ending in (f".{s}" for s in ("py", *suffixes)) if name.endswith(ending)]
    return os.path.join(head, name[:-len(max(endings, key=len))] if endings else name) + ".py"


def _segments(path_info: Optional[str]) -> list[str]:
    return [p for p in (path_info or "").split("/") if p]


def path_names(path_info: Optional[str]) -> list[str]:
    """The object names of path_info; "index" when it names none."""
    return _segments(path_info) or ["index"]


def target(filename: Optional[str], path_info: Optional[str],
           suffixes: Iterable[str] = ()) -> tuple[str, list[str]]:
    """(module file, object names) of a request (`suffixes`: module_path's):
    when the module is missing, index.py beside it, whose object the
    module's name is (mod_python's fallback: /foobar publishes index.py's
    foobar)."""
    path = module_path(filename, suffixes)
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
    """An object the module itself offers: a function it defines (or a
    method of one of its objects), an object of a class it defines, or
    plain data.  An import (`from os import environ`, someone else's
    function), a module, a class or a builtin is not."""
    if isinstance(obj, _UNPUBLISHABLE):
        return False
    func = obj.__func__ if isinstance(obj, types.MethodType) else obj
    if isinstance(func, types.FunctionType):
        return func.__module__ == module.__name__ or func.__globals__ is module.__dict__
    cls = type(obj)
    return cls in _DATA or cls.__module__ == module.__name__


_BUILTIN_METHODS = (types.MethodDescriptorType, types.WrapperDescriptorType, types.ClassMethodDescriptorType)


def _attribute(obj: Any, name: str) -> Any:
    """obj.name found the way getattr would, without running code of the
    object's: a property, any other descriptor or __getattr__ makes it
    _MISSING; a function of the class comes back bound, a slot's value read."""
    try:
        found = inspect.getattr_static(obj, name)
    except AttributeError:
        return _MISSING
    if isinstance(obj, types.ModuleType) or found is not inspect.getattr_static(
            type(obj), name, _MISSING):
        return found                            # the module's or the instance's own value
    if isinstance(found, types.FunctionType):
        return types.MethodType(found, obj)
    if isinstance(found, staticmethod):
        return found.__func__
    if isinstance(found, classmethod):
        return types.MethodType(found.__func__, type(obj))
    if isinstance(found, types.MemberDescriptorType):   # a __slots__ value: no code runs
        return getattr(obj, name, _MISSING)
    if isinstance(found, _BUILTIN_METHODS):             # a builtin's method (str.upper): bound in C,
        return getattr(obj, name)                        # then refused as a builtin (403), as mod_python
    return _MISSING if hasattr(type(found), "__get__") else found


# authentication ------------------------------------------------------------

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
    """`__access__ = ["a"]` or `__auth__ = USERS` written in a function
    body: the literal, or the module-level value the name has, read from
    the source without running the function.  Anything else is _UNREADABLE:
    the guard is there, so the request must not go through unchecked."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        return _UNREADABLE
    node = tree.body[0] if tree.body else None
    for stmt in getattr(node, "body", ()):
        if isinstance(stmt, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in stmt.targets):
            return _guard_value(stmt.value, func.__globals__)
    return _UNREADABLE


def _guard_value(node: ast.expr, module_globals: dict) -> Any:
    if isinstance(node, ast.Name):
        return module_globals.get(node.id, _UNREADABLE)
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return _UNREADABLE


def _guard(req, obj: Any, name: str) -> Any:
    """The guard `name` of a traversal step, _MISSING when it has none;
    one that is there but cannot be read ends the request with 500."""
    func = obj.__func__ if isinstance(obj, types.MethodType) else obj
    found = _attribute(func, name)
    if found is _MISSING and isinstance(func, types.FunctionType):
        found = _nested(func, name)
    if found is _UNREADABLE:
        req.log_error(f"mod_python.publisher: {name} of {req.uri!r} is assigned in the function "
                      f"body but is neither a literal nor a module-level name: request refused")
        raise SERVER_RETURN(C.HTTP_INTERNAL_SERVER_ERROR)
    return found


def _password_matches(expected: Any, password: str) -> bool:
    """The __auth__ dict's password (str or bytes; None for an unknown
    user) against the client's, in constant time: the answer's timing
    tells neither how much of a password was right nor whether the user
    exists."""
    given = password.encode("utf-8", "surrogateescape")
    if isinstance(expected, str):
        expected = expected.encode("utf-8", "surrogateescape")
    if not isinstance(expected, bytes):
        hmac.compare_digest(given, given)
        return False
    return hmac.compare_digest(expected, given)


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
    realm = _guard(req, obj, "__auth_realm__")
    if realm is not _MISSING:
        state["realm"] = str(realm)
    auth = _guard(req, obj, "__auth__")
    if auth is not _MISSING:
        user, password = _credentials(req)
        if callable(auth):
            ok = user is not None and auth(req, user, password)
        elif isinstance(auth, dict):
            ok = user is not None and _password_matches(auth.get(user), password)
        else:
            ok = bool(auth)
        if not ok:
            req.err_headers_out["WWW-Authenticate"] = f'Basic realm="{state["realm"]}"'
            _refuse(C.HTTP_UNAUTHORIZED, f"authentication failed for {req.uri!r}", req)
        if user is not None:
            req.user = user
            state["user"] = user
    access = _guard(req, obj, "__access__")
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
        found = _attribute(obj, name)
        if found is _MISSING:
            _refuse(C.HTTP_NOT_FOUND, f"{req.uri!r}: no object {name!r} (or one only code "
                                      f"would compute: a property is not published)", req)
        obj = found
        if not _published(obj, module):
            _refuse(C.HTTP_FORBIDDEN, f"{name!r} is a {type(obj).__name__}, not published", req)
        _check(req, obj, state)
    return obj


def request_form(req):
    """The request's form fields (req.form), parsed once."""
    form = getattr(req, "form", None)
    if form is None:
        form = req.form = FieldStorage(req, keep_blank_values=1)
    return form


def call(req, func: Any, extra: Optional[dict] = None) -> Any:
    """Call `func` with req and the form fields its arguments name (and
    `extra` keyword arguments, which win over fields), as util.apply_fs_data;
    the form is read only when an argument may come from it."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return func()
    args = {"req": req, **(extra or {})}
    needs_form = any(p.kind is p.VAR_KEYWORD or (p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
                                                 and name not in args) for name, p in params.items())
    kwargs, missing = form_arguments(func, request_form(req) if needs_form else None, args)
    if missing:
        _refuse(C.HTTP_BAD_REQUEST, f"{req.uri!r}: missing form field(s) {', '.join(missing)}", req)
    return func(**kwargs)


def guess_content_type(body: str) -> str:
    """text/html when the result looks like an HTML document, else text/plain."""
    head = body[:200].lstrip().lower()
    return "text/html" if head.startswith(("<html", "<!doctype html")) else "text/plain"


def handler(req) -> int:
    req.allow_methods(list(METHODS))
    if req.method not in METHODS:
        _refuse(C.HTTP_METHOD_NOT_ALLOWED, f"method {req.method} is not published", req)
    path, names = target(req.filename, req.path_info, req.get_addhandler_exts().split())
    if not os.path.isfile(path):
        _refuse(C.HTTP_NOT_FOUND, f"no module {path!r} for {req.uri!r}", req)
    module = importer.namespace(req.interpreter or "main_interpreter").load_file(
        path, req._config.autoreload is not False)
    obj = traverse(req, module, names)
    type_before = req.content_type
    result = call(req, obj) if callable(obj) else obj
    if result is None:          # as mod_python: nothing more to send, the content type left alone
        return C.OK
    if not isinstance(result, bytes):
        result = str(result)
    if req.content_type == type_before or not req.content_type:
        req.content_type = guess_content_type(result) if isinstance(result, str) \
            else "application/octet-stream"
    if result:                  # also for HEAD: Apache drops the body and keeps its length
        req.write(result, 0)
    return C.OK
