"""What `PythonHandler` names: the publisher, PSP pages, the WSGI gateway,
legacy CGI scripts in-process (cgi/), and modpy's status page."""
