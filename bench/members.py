"""Request members side by side: a handler that reads 20 request members
and writes 3 response headers, under modpy and Debian's mod_python.

Target: modpy <= 1.2x mod_python's CPU per request.
"""
from __future__ import annotations

import argparse

import harness as H
from hello import python_handler_servers

HANDLER = '''
from mod_python import apache

def handler(req):
    seen = (req.the_request, req.method, req.uri, req.unparsed_uri, req.args,
            req.protocol, req.proto_num, req.hostname, req.filename,
            req.canonical_filename, req.path_info, req.status, req.header_only,
            req.method_number, req.request_time, req.handler, req.clength,
            req.user, req.headers_in["Host"], req.headers_in.get("User-Agent"))
    req.headers_out["X-Bench-A"] = "a"
    req.headers_out["X-Bench-B"] = str(len(seen))
    req.headers_out.add("X-Bench-C", req.method)
    req.content_type = "text/plain"
    req.write("members %d\\n" % len(seen))
    return apache.OK
'''
EXPECT = b"members 20"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    H.add_arguments(parser)
    parser.add_argument("--autoreload", default="On", choices=("On", "Off"))
    args = parser.parse_args()
    servers = python_handler_servers({"app/hello.py": HANDLER}, "/app/hello.py?a=1&b=2", EXPECT,
                                     args.autoreload)
    result = H.compare(servers, "mod_python", H.options(args), "20 request members, 3 headers")
    s = result["summary"]["modpy"]
    ok = H.target("modpy CPU/req vs mod_python", s["cpu_ratio"], "<=", 1.2)
    ok &= H.target("modpy failures", s["failures"], "<=", 0)
    return 0 if ok else 1


if __name__ == "__main__":
    H.run(main)
