"""modpy.formdata in-process: query strings, urlencoded and multipart
bodies, the FieldStorage mapping."""
import io
import os

import pytest

from modpy.library import formdata
from modpy.library.formdata import (
    Field,
    FormError,
    FormFields,
    StringField,
    multipart_fields,
    parse_qs,
    parse_qsl,
    urlencoded_fields,
)


def body(*parts, boundary="BOUND"):
    out = b""
    for headers, data in parts:
        out += f"--{boundary}\r\n".encode() + headers + b"\r\n\r\n" + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def field(name, data, filename=None, ctype=None):
    h = f'Content-Disposition: form-data; name="{name}"'
    if filename is not None:
        h += f'; filename="{filename}"'
    if ctype:
        h += f"\r\nContent-Type: {ctype}"
    return h.encode("utf-8", "surrogateescape"), data


def reader(data, step=7):
    """read(n) over `data`, in pieces of at most `step` bytes, so every
    boundary and header crosses chunk edges."""
    f = io.BytesIO(data)
    return lambda n: f.read(min(n, step))


def test_parse_qsl_blank_values_and_order():
    assert parse_qsl("a=1&b=&c=3&a=4") == [("a", "1"), ("c", "3"), ("a", "4")]
    assert parse_qsl("a=1&b=&c", keep_blank_values=True) == [("a", "1"), ("b", ""), ("c", "")]
    assert parse_qs("a=1&b=2&a=x+y%21") == {"a": ["1", "x y!"], "b": ["2"]}
    assert parse_qs("a=&b=", keep_blank_values=True) == {"a": [""], "b": [""]}


def test_parse_qsl_strict_parsing_rejects_fields_without_equals():
    assert parse_qsl("a=1&junk") == [("a", "1")]
    with pytest.raises(ValueError):
        parse_qsl("a=1&junk", strict_parsing=True)


def test_undecodable_bytes_survive_as_surrogates():
    pairs = parse_qsl(b"n%FFame=v%C3%A9%FE&raw=\xff")
    assert pairs == [("n\udcffame", "v\u00e9\udcfe"), ("raw", "\udcff")]
    assert pairs[0][1].encode("utf-8", "surrogateescape") == b"v\xc3\xa9\xfe"


def test_urlencoded_fields_are_string_fields():
    fs = FormFields(urlencoded_fields("a=1&a=2&b=x", True))
    assert fs["b"] == "x" and isinstance(fs["b"], StringField) and fs["b"].value == "x"
    assert fs["a"] == ["1", "2"]
    assert fs.getfirst("a") == "1" and fs.getlist("a") == ["1", "2"]
    assert fs.getfirst("zz", "d") == "d" and fs.getlist("zz") == []
    assert fs.keys() == ["a", "b"] and len(fs) == 2
    assert fs.has_key("a") and "b" in fs and "c" not in fs
    assert fs.get("c", 5) == 5
    assert fs.items() == [("a", ["1", "2"]), ("b", "x")]
    with pytest.raises(KeyError):
        fs["c"]


def test_mapping_edits():
    fs = FormFields(urlencoded_fields("a=1&b=2"))
    fs.add_field("a", "3")
    assert fs.getlist("a") == ["1", "3"]
    fs["a"] = "9"
    assert fs["a"] == "9"
    del fs["b"]
    assert "b" not in fs
    with pytest.raises(KeyError):
        del fs["b"]
    fs.clear()
    assert fs.keys() == [] and len(fs.list) == 0


def test_multipart_fields_and_upload():
    data = body(field("text", "h\u00e9llo".encode()),
                field("up", b"\x00\x01binary\r\n--BOUNDnot\r\n", "a b.bin", "application/octet-stream"),
                field("text", b"second"))
    fields = multipart_fields(reader(data), b"BOUND")
    fs = FormFields(fields)
    assert fs.getlist("text") == ["h\u00e9llo", "second"]
    up = fs["up"]
    assert isinstance(up, Field)
    assert up.filename == "a b.bin" and up.type == "application/octet-stream"
    assert up.value == b"\x00\x01binary\r\n--BOUNDnot\r\n"
    assert up.disposition == "form-data" and up.disposition_options["name"] == "up"
    assert up.file.read() == up.value                # file at its start
    assert fields[0].file.read() == "h\u00e9llo".encode()


def test_multipart_bad_bytes_in_names_and_filenames():
    data = body((b'Content-Disposition: form-data; name="n\xff"; filename="f\xfe.txt"', b"x"))
    (f,) = multipart_fields(reader(data), b"BOUND")
    assert f.name == "n\udcff" and f.filename == "f\udcfe.txt"


def test_big_upload_spools_to_disk_in_chunks():
    payload = os.urandom(3 * formdata.SPOOL_SIZE + 5)
    data = body(field("f", payload, "x.bin"))
    (f,) = multipart_fields(reader(data, 65536), b"BOUND")
    assert f.file._rolled                               # on disk, not in memory
    assert f.value == payload


def test_file_and_field_callbacks():
    made = []

    def file_cb(filename):
        made.append(("file", filename))
        return io.BytesIO()

    def field_cb():
        made.append(("field",))
        return io.BytesIO()

    data = body(field("a", b"1"), field("u", b"up", "u.txt"))
    fields = multipart_fields(reader(data), b"BOUND", file_cb, field_cb)
    assert made == [("field",), ("file", "u.txt")]
    assert [f.value for f in fields] == ["1", b"up"]


@pytest.mark.parametrize("data", [
    b"garbage",
    body(field("a", b"1"))[:-12],                     # no closing boundary
    b"--BOUND\r\nContent-Disposition: form-data; name=a\r\n",   # headers never end
])
def test_malformed_multipart_is_form_error(data):
    with pytest.raises(FormError):
        multipart_fields(reader(data), b"BOUND")


def test_boundary_of():
    assert formdata.boundary_of('multipart/form-data; boundary="a b"') == b"a b"
    with pytest.raises(FormError):
        formdata.boundary_of("multipart/form-data")


def test_parts_without_a_name_are_skipped():
    data = body((b"Content-Disposition: form-data", b"x"), field("a", b"1"))
    assert [f.name for f in multipart_fields(reader(data), b"BOUND")] == ["a"]


@pytest.mark.parametrize("step", [1, 2, 3, 5, 13, 64, 65536])
def test_any_chunking_gives_the_same_fields(step):
    data = body(field("a", b"x\r\n--BOUN"), field("f", b"\r\n\r\n--BOUND-", "f.bin"), field("a", b""))
    fields = multipart_fields(reader(data, step), b"BOUND")
    assert [(f.name, f.value) for f in fields] == [("a", "x\r\n--BOUN"), ("f", b"\r\n\r\n--BOUND-"),
                                                   ("a", "")]


def test_limits_from_options():
    assert formdata.Limits.from_options({}) == formdata.Limits(1000, 2621440, 100)
    limits = formdata.Limits.from_options({"mod_python.form.max_fields": " 5 ",
                                           "mod_python.form.max_files": "2"})
    assert (limits.max_fields, limits.max_size, limits.max_files) == (5, 2621440, 2)
    for bad in ("0", "-3", "ten", "1e3", ""):
        with pytest.raises(ValueError, match="mod_python.form.max_size"):
            formdata.Limits.from_options({"mod_python.form.max_size": bad})


def test_budgets_stop_a_form_before_the_excess_is_kept():
    budget = lambda **kw: formdata.Budget(formdata.Limits(**kw))
    with pytest.raises(formdata.FormTooLarge, match="max_fields"):
        urlencoded_fields("a&b&c", budget=budget(max_fields=2))
    assert len(urlencoded_fields("a=1&b=2", budget=budget(max_fields=2))) == 2
    with pytest.raises(formdata.FormTooLarge, match="max_size"):
        formdata.read_all(reader(b"x" * 100), budget(max_size=99))
    assert formdata.read_all(reader(b"x" * 100), budget(max_size=100)) == b"x" * 100
    data = body(field("t", b"x" * 60), field("u", b"y" * 50))
    with pytest.raises(formdata.FormTooLarge, match="max_size"):
        multipart_fields(reader(data), b"BOUND", budget=budget(max_size=100))
    files = body(*[field(f"f{i}", b"z" * 10, "f.bin") for i in range(3)])
    with pytest.raises(formdata.FormTooLarge, match="max_files"):
        multipart_fields(reader(files), b"BOUND", budget=budget(max_files=2))
    assert len(multipart_fields(reader(files), b"BOUND", budget=budget(max_files=3, max_size=1))) == 3
    assert formdata.FormTooLarge("x").status == 413 and FormError("x").status == 400


def test_the_index_by_name_follows_every_change_to_the_list():
    fs = FormFields(urlencoded_fields("b=2&a=1&b=3"))
    assert fs.keys() == ["b", "a"] and fs.getlist("b") == ["2", "3"]
    fs.list.sort(key=lambda f: f.value, reverse=True)
    assert fs.getlist("b") == ["3", "2"] and fs.getfirst("b") == "3"
    fs.list.append(urlencoded_fields("c=4")[0])
    fs.list += urlencoded_fields("a=5")
    assert fs["c"] == "4" and fs.getlist("a") == ["1", "5"]
    del fs.list[0]
    fs.list.remove(fs.list[-1])
    assert fs.getlist("b") == ["2"] and fs.getlist("a") == ["1"]
    fs["a"] = "6"
    del fs["c"]
    assert fs.keys() == ["b", "a"] and fs["a"] == "6" and "c" not in fs and len(fs) == 2
    fs.list.clear()
    assert fs.keys() == [] and fs.get("b") is None
