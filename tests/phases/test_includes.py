"""Server-side includes with Python (`<!--#python exec/eval -->` in a page
mod_include parses) in a real Apache, as mod_python offers them (its
suite's test_server_side_include)."""
from modpy.tools.apacheconf import DEFAULT_MODULES

PAGE = ('<!--#python exec="\nfilter.write(data[:1])\nfilter.write(data[1:])\n"--> '
        '<!--#python eval="\'ok\'" --> [<!--#python eval="None" -->] '
        '<!--#python eval="filter.req.uri + str(__file__.endswith(\'page.shtml\'))" -->\n')


def test_exec_and_eval_write_where_the_element_stood(apache_factory):
    server = apache_factory("""
        <Directory "{htdocs}">
            Options +Includes
            AddType text/html .shtml
            AddOutputFilter INCLUDES .shtml
            PythonFixupHandler fix
        </Directory>
    """, modules=DEFAULT_MODULES + ("include",))
    server.write("fix.py", """
        from mod_python import apache
        def fixuphandler(req):
            if req.args != "bare":
                req.ssi_globals = {"data": "test"}
            return apache.OK
    """)
    server.write("page.shtml", PAGE)
    server.write("broken.shtml", '<!--#python eval="1/0" --> after\n')
    server.start()
    assert server.get("/page.shtml").text == "test ok [] /page.shtmlTrue\n"
    # without globals from a handler: a fresh dict, so `data` is not there
    r = server.get("/page.shtml?bare")
    assert r.status_code == 200 and "[an error occurred while processing this directive]" in r.text
    r = server.get("/broken.shtml")
    assert r.text == "[an error occurred while processing this directive] after\n"
    assert server.error_log().count("ZeroDivisionError: division by zero") >= 1
