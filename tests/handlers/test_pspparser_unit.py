"""The PSP translator, in-process: generated source, run against a fake
writer, and the template lines errors point to."""
import pytest

from modpy.handlers.pspparser import PSPSyntaxError, translate


class Out:
    def __init__(self):
        self.parts = []

    def write(self, data, flush=1):
        self.parts.append(data)


def render(template, **names):
    out = Out()
    exec(compile(translate(template).source, "<psp>", "exec"), {"req": out, **names})
    return "".join(out.parts)


def test_text_expression_and_code():
    assert render("<html>\n<%\nimport math\n%>\npi=<%= round(math.pi, 2) %></html>") == \
        "<html>\n\npi=3.14</html>"


def test_last_indentation_persists_until_next_block():
    template = ("<%\nfor n in range(3):\n    # This indent will persist\n%>\n<p><%= n %></p>\n"
                "<%\n# This line will cause the block to end\n%>\nonce")
    assert render(template) == "\n<p>0</p>\n\n<p>1</p>\n\n<p>2</p>\n\nonce"


def test_one_line_blocks_use_current_indent_and_colon_opens_level():
    template = "<% for x in xs: %>[<% y = x * 2 %><%= y %>]<%\n%>end"
    assert render(template, xs=[1, 2]) == "[2][4]end"


def test_nested_blocks_written_as_is():
    template = ("<%\nfor i in range(2):\n    if i:\n        %>odd<%\n    else:\n        %>even<%\n%>!")
    assert render(template) == "evenodd!"


def test_comments_vanish():
    assert render("a<%-- <%= boom %> --%>b") == "ab"


def test_include(tmp_path):
    (tmp_path / "inner.psp").write_text("inner <%= 6 * 7 %>\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.psp").write_text("deep")
    main = tmp_path / "main.psp"
    main.write_text('<<%@ include file="inner.psp" %>><%@ include file="sub/deep.psp" %>')
    t = translate(main.read_text(), str(main))
    out = Out()
    exec(compile(t.source, "<psp>", "exec"), {"req": out})
    assert "".join(out.parts) == "<inner 42\n>deep"
    assert t.files == [str(main), str(tmp_path / "inner.psp"), str(tmp_path / "sub" / "deep.psp")]
    assert (str(tmp_path / "inner.psp"), 1) in t.origins


def test_include_loop_and_missing_file_are_errors(tmp_path):
    loop = tmp_path / "loop.psp"
    loop.write_text('<%@ include file="loop.psp" %>')
    with pytest.raises(PSPSyntaxError, match="nested too deep"):
        translate(loop.read_text(), str(loop))
    with pytest.raises(PSPSyntaxError, match="cannot include"):
        translate('x\n<%@ include file="nope.psp" %>', str(tmp_path / "m.psp"))


@pytest.mark.parametrize("template, message, line", [
    ("a\nb <% x = 1", "never closed", 2),
    ("a\n\n<%-- x %>", "never closed", 3),
    ("<%= %>", "empty expression", 1),
    ("\n<%@ page x %>", "unknown directive", 2),
])
def test_syntax_errors_name_the_line(template, message, line):
    with pytest.raises(PSPSyntaxError, match=message) as e:
        translate(template, "t.psp")
    assert e.value.lineno == line and f"t.psp, line {line}" in str(e.value)


def test_origins_map_generated_lines_to_template_lines():
    t = translate("line1\n<%\nx = 1\ny = 2\n%>\n<%= x %>\n\n<%= oops() %>", "t.psp")
    with pytest.raises(NameError) as e:
        exec(compile(t.source, "<psp>", "exec"), {"req": Out()})
    tb = e.value.__traceback__
    while tb.tb_next:
        tb = tb.tb_next
    assert t.origin(tb.tb_lineno) == ("t.psp", 8)
    assert t.origin(t.lines.index("y = 2") + 1) == ("t.psp", 4)


def test_hostile_text_is_only_text():
    text = "\"\"\" ''' \\ \udcff \x00 %> %"
    assert render(text) == text


def test_empty_template():
    assert render("") == ""
