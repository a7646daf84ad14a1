"""A line-echo protocol on its own port: PythonConnectionHandler takes the
connection before Apache's HTTP code does.

    Listen 8007
    AcceptFilter http none      # Linux defers accept() until the client
                                # speaks; this protocol speaks first
    <VirtualHost *:8007>
        PythonPath "sys.path + ['/path/to/examples']"
        PythonConnectionHandler echo_protocol
    </VirtualHost>

Each line the client sends comes back as it was; "quit" ends the session.
"""
from mod_python import apache


def connectionhandler(conn):
    conn.write(b"modpy echo ready\r\n")
    while True:
        line = conn.readline()
        if not line or line.strip() == b"quit":
            conn.write(b"bye\r\n")
            return apache.OK
        conn.write(line)
