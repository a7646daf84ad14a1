"""Bad input: short bodies, clients that leave mid-read or mid-write, a
handler that writes after an error.  Each is a clean OSError in Python and
a line in the error log; the child keeps serving."""
import socket
import time

CODE = """
    from mod_python import apache

    def handler(req):
        if req.args == "read":
            try:
                data = req.read()
            except OSError as e:
                req.log_error("read failed: " + str(e))
                raise
            req.write("got %d" % len(data))
        elif req.args == "write":
            chunk = b"x" * 65536
            try:
                for i in range(2000):           # 128 MiB: the client leaves long before
                    req.write(chunk)
            except OSError as e:
                req.log_error("write failed after %d chunks: %s" % (i, e))
                try:
                    req.write(b"more")
                except OSError as e2:
                    req.log_error("second write failed too: " + type(e2).__name__)
                return apache.OK
            req.log_error("wrote everything?!")
        else:
            req.write("alive")
        return apache.OK
"""


def make(apache_factory):
    server = apache_factory("""
        Timeout 3
        <Directory "{htdocs}">
            SetHandler mod_python
            PythonHandler h
        </Directory>
    """, mpm="prefork")
    server.write("h.py", CODE)
    server.start()
    return server


def wait_for(server, text, timeout=15):
    deadline = time.monotonic() + timeout
    while text not in server.error_log():
        assert time.monotonic() < deadline, f"{text!r} not in the log:\n{server.error_log()}"
        time.sleep(0.1)


def test_body_shorter_than_content_length(apache_factory):
    server = make(apache_factory)
    # the client stops sending and waits: Apache's Timeout ends the read,
    # and the body that never came is the client's error (400), not a 500
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(b"POST /h?read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789")
        reply = s.makefile("rb").read()
    assert reply.startswith(b"HTTP/1.1 400"), reply
    wait_for(server, "read failed: reading the request body failed")
    # the client sends part of the body and hangs up
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(b"POST /h?read HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n01234")
    time.sleep(0.5)
    assert server.get("/h").text == "alive"
    # a malformed chunked body is Apache's 400, read() raises
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(b"POST /h?read HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n")
        reply = s.makefile("rb").readline()
    assert reply.split()[1] == b"400", reply
    assert server.get("/h").text == "alive"


def test_client_leaves_mid_write_and_handler_writes_again(apache_factory):
    server = make(apache_factory)
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(b"GET /h?write HTTP/1.1\r\nHost: x\r\n\r\n")
        s.recv(100000)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    wait_for(server, "write failed after")
    wait_for(server, "second write failed too: OSError")
    assert "wrote everything" not in server.error_log()
    assert server.get("/h").text == "alive"
