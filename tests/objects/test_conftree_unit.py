"""In-process: which `Require` lines req.requires() reports for a request."""
from modpy.objects.conftree import requires_for

TREE = [
    ("Require", "all denied"),
    ("<Directory", "/srv/www>", [("Require", "all granted"),
                                 ("<RequireAny", ">", [("Require", "ip 10.0.0.0/8"),
                                                       ("Require", "valid-user")])]),
    ("<Directory", '"/srv/www/private">', [("Require", "user alice")]),
    ("<Directory", "/srv/www2>", [("Require", "user bob")]),
    ("<Location", "/api>", [("Require", "group api")]),
    ("<Location", "~ ^/regex>", [("Require", "user regex")]),
    ("<Files", '"*.secret">', [("Require", "user carol")]),
    ("<Directory", "/srv/*/wild>", [("Require", "user wild")]),
]


def test_nested_matching_sections_in_order():
    assert requires_for("/x", "/srv/www/private/a.txt", TREE) == (
        "all denied", "all granted", "ip 10.0.0.0/8", "valid-user", "user alice")


def test_prefix_is_a_path_prefix_not_a_string_prefix():
    assert "user bob" not in requires_for("/x", "/srv/www/a", TREE)
    assert "user bob" in requires_for("/x", "/srv/www2/a", TREE)


def test_location_files_wildcards_and_regex():
    assert requires_for("/api/v1", "/other", TREE) == ("all denied", "group api")
    assert requires_for("/apix", "/other", TREE) == ("all denied",)
    assert requires_for("/regex", "/other", TREE) == ("all denied",)       # regex sections not read
    assert "user carol" in requires_for("/", "/srv/www/k.secret", TREE)
    assert "user wild" in requires_for("/", "/srv/a/wild/f", TREE)
    assert requires_for(None, None, TREE) == ("all denied",)
