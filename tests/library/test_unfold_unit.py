"""modpy.library.unfold in-process: folded part headers joined, the data
byte for byte, whatever the chunks."""
import random

from modpy.library.unfold import Unfolder

BODY = (b"--XyZ\r\nContent-Type: text/plain\r\nContent-Disposition: form-data;\r\n name=\"a\"\r\n\r\n"
        b"val\r\n \r\nue\r\n--XyZ\r\nContent-Disposition: form-data; name=\"f\";\r\n\tfilename=\"x\"\r\n\r\n"
        b"\r\n--XyZ not\r\n \x00data\r\n--XyZ--\r\nepi\r\n logue")
JOINED = BODY.replace(b"form-data;\r\n name", b"form-data; name").replace(
    b"\"f\";\r\n\tfilename", b"\"f\"; filename")


def test_folds_joined_in_headers_only_whatever_the_chunks():
    rng = random.Random(14)
    for _ in range(3000):
        cuts = sorted(rng.sample(range(1, len(BODY)), rng.randint(0, 10)))
        u = Unfolder(b"XyZ")
        chunks = [BODY[a:b] for a, b in zip([0] + cuts, cuts + [len(BODY)])]
        assert b"".join(u.feed(c) for c in chunks) + u.flush() == JOINED, cuts


def test_a_body_without_folds_passes_as_it_is():
    body = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\n\r\n \r\n--b--\r\n"
    u = Unfolder(b"b")
    assert u.feed(body[:7]) + u.feed(body[7:]) + u.flush() == body
