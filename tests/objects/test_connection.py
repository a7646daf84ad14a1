"""PythonConnectionHandler and the connection object's read/readline/write,
on a Listen port of its own, next to an ordinary HTTP port."""
import os
import socket

from tests.apache import REPO, free_port

EXAMPLES = os.path.join(REPO, "examples")


def talk(port, lines, timeout=10):
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        f = s.makefile("rwb")
        out = [f.readline()]
        for line in lines:
            f.write(line)
            f.flush()
            out.append(f.readline())
        return out


def test_echo_protocol_example(apache_factory):
    port = free_port()
    server = apache_factory(f"""
        AcceptFilter http none
        <VirtualHost 127.0.0.1:{port}>
            PythonPath "sys.path + ['{EXAMPLES}']"
            PythonConnectionHandler echo_protocol
        </VirtualHost>
    """, extra_listen=[f"127.0.0.1:{port}"])
    server.start()
    got = talk(port, [b"hello\r\n", "h\u00e9 \xff\n".encode("utf-8", "surrogateescape"), b"quit\r\n"])
    assert got == [b"modpy echo ready\r\n", b"hello\r\n", "h\u00e9 \xff\n".encode(), b"bye\r\n"]
    # the HTTP port still speaks HTTP
    assert server.get("/").status_code in (200, 403, 404)
    # many sessions in a row: the child keeps serving
    for i in range(20):
        assert talk(port, [b"n%d\n" % i, b"quit\n"])[1] == b"n%d\n" % i


def test_connection_members_read_and_errors(apache_factory):
    port = free_port()
    server = apache_factory(f"""
        AcceptFilter http none
        <VirtualHost 127.0.0.1:{port}>
            PythonPath "sys.path + ['{{htdocs}}']"
            PythonConnectionHandler proto::serve
        </VirtualHost>
    """, extra_listen=[f"127.0.0.1:{port}"])
    server.write("proto.py", """
        from mod_python import apache

        def serve(conn):
            first = conn.readline()
            if first == b"boom\\n":
                raise ValueError("protocol handler failed")
            if first == b"fixed\\n":
                data = conn.read(5)
                conn.write(repr(data) + "\\n")
                return apache.OK
            conn.write(repr((conn.remote_ip, conn.local_addr[1], conn.base_server.port,
                             type(conn.id).__name__, conn.aborted)) + "\\n")
            conn.write(repr(conn.read()) + "\\n")
            return apache.OK
    """)
    server.start()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"hi\nrest of the stream")
        s.shutdown(socket.SHUT_WR)
        data = s.makefile("rb").read()
    assert data == repr(("127.0.0.1", port, port, "int", 0)).encode() + b"\n" + \
        repr(b"rest of the stream").encode() + b"\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"fixed\n12345678")
        assert s.makefile("rb").readline() == b"b'12345'\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"boom\n")
        assert s.makefile("rb").read() == b""
    assert "ValueError: protocol handler failed" in server.error_log()
    # a client that leaves mid-read: the child goes on serving
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"fixed\n12")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"fixed\nabcde")
        assert s.makefile("rb").readline() == b"b'abcde'\n"
