"""req.is_https() and req.ssl_var_lookup() through mod_ssl's optional
functions, on a real TLS virtual host with a self-signed certificate."""

import httpx

from modpy.tools.apacheconf import DEFAULT_MODULES
from tests.apache import free_port, self_signed_certificate

CODE = """
    from mod_python import apache

    def handler(req):
        req.write(repr((req.is_https(), req.ssl_var_lookup("SSL_PROTOCOL"),
                        req.ssl_var_lookup("SSL_SERVER_S_DN_CN"), req.ssl_var_lookup("HTTPS"),
                        req.ssl_var_lookup("NO_SUCH_VARIABLE"))))
        return apache.OK
"""


def test_is_https_and_ssl_var_lookup(apache_factory, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    server = apache_factory(f"""
        <Directory "{{htdocs}}">
            SetHandler mod_python
            PythonHandler probe
        </Directory>
        <VirtualHost 127.0.0.1:{port}>
            SSLEngine on
            SSLCertificateFile {cert}
            SSLCertificateKeyFile {key}
        </VirtualHost>
    """, modules=DEFAULT_MODULES + ("socache_shmcb", "ssl"), extra_listen=[f"127.0.0.1:{port}"])
    server.write("probe.py", CODE)
    server.start()
    r = httpx.get(f"https://127.0.0.1:{port}/probe", verify=False)
    https, protocol, cn, flag, missing = eval(r.text)
    assert https == 1 and protocol.startswith("TLSv1") and cn == "modpy-test" and flag == "on"
    assert missing is None
    assert eval(server.get("/probe").text) == (0, None, None, "off", None)
