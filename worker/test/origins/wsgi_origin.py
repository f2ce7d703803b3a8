"""A real WSGI origin (Python's wsgiref) for the worker tests.

wsgiref, like every CGI/WSGI/Rack server, maps a header name to `HTTP_` + the name
upper-cased with `-` replaced by `_`, and joins the values of names that map to the same
variable. So `X-Auth-Roles: viewer` and `X_Auth_Roles: super_admin` reach the app as
`HTTP_X_AUTH_ROLES = 'viewer,super_admin'`. The app answers with every `HTTP_*` variable
it received, so a test sees exactly what a Python app behind the gate would read.

Prints its port on the first line of stdout, then serves until killed.
"""

import json
from wsgiref.simple_server import WSGIRequestHandler, make_server


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def app(environ, start_response):
    seen = {k: v for k, v in environ.items() if k.startswith("HTTP_")}
    body = json.dumps({"path": environ.get("PATH_INFO"), "environ": seen}).encode()
    start_response(
        "200 OK",
        [("content-type", "application/json"), ("content-length", str(len(body)))],
    )
    return [body]


if __name__ == "__main__":
    server = make_server("127.0.0.1", 0, app, handler_class=QuietHandler)
    print(server.server_port, flush=True)
    server.serve_forever()
