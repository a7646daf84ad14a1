"""mod_python.httpdconf, mod_python's config builder: text and repr as
mod_python writes them, and write_basic_config's script gives a
configuration Apache accepts."""
import subprocess
import sys

import mod_python.httpdconf as h
from modpy.tools.apacheconf import find_apache


def config():
    return h.Container(
        h.Comment("site\nconfig"), h.Listen(8080),
        h.IfModule("!mod_mime.c", h.LoadModule("mime_module x")),
        h.VirtualHost("*", h.ServerName("a"),
                      h.Directory("/srv/x", h.SetHandler("mod_python"),
                                  h.Files("*.py", h.PythonHandler("tests::x")))),
        h.Container(h.Timeout(5), only_if="1 == 1"), h.Container(h.Timeout(6), only_if="1 == 2"))


def test_text():
    assert str(config()) == (
        "# site\n# config\nListen 8080\n<IfModule !mod_mime.c>\n  LoadModule mime_module x\n"
        "</IfModule>\n<VirtualHost *>\n  ServerName a\n  <Directory /srv/x>\n    SetHandler mod_python\n"
        "    <Files *.py>\n      PythonHandler tests::x\n    </Files>\n  </Directory>\n</VirtualHost>\n"
        "Timeout 5\n")


def test_repr_builds_the_same_config():
    text = repr(config())
    assert text.startswith("Container(\n    Comment('site\\n'\n            'config\\n'),\n    Listen(8080),")
    assert str(eval(text, vars(h))) == str(config())


def test_only_directives_sections_and_comments_go_in():
    try:
        h.Container().append("Listen 80")
    except TypeError:
        pass
    else:
        raise AssertionError("a string was appended")
    assert h.quote_if_space("/a b") == '"/a b"' and h.quote_if_space("/ab") == "/ab"


def test_write_basic_config_makes_a_script_of_a_config_apache_accepts(tmp_path):
    path = h.write_basic_config(str(tmp_path / "site"), listen="127.0.0.1:1")
    assert h.write_basic_config(str(tmp_path / "site")) is None          # kept unless replace_config
    conf = subprocess.run([sys.executable, path], capture_output=True, text=True, check=True).stdout
    (tmp_path / "httpd.conf").write_text(conf)
    checked = subprocess.run([find_apache(), "-t", "-f", str(tmp_path / "httpd.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
