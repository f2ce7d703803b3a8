"""An origin that trusts only requests carrying a valid gate assertion, with PyJWT.

The check worker/README.md shows for Python, run for real in the worker tests: the gate's
JWKS fetched from its public path (PyJWKClient caches it), the key chosen by `kid`, ES256
only, `iss`, `aud`, `exp` and `iat` required, and with ASSERTION_BIND=request the method and
path (`htm`, `htu`). Anything else answers 401 and the request goes no further.

    python3 assertion_origin.py JWKS_URL AUDIENCE ISSUER [request]

Prints its port (127.0.0.1, chosen by the system) on the first line, then serves until
killed. Answers 200 with the verified claims as JSON, and the assertion itself (so a test
can replay what the gate made; a real origin has no reason to echo it).
"""

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import jwt

JWKS_URL, AUDIENCE, ISSUER = sys.argv[1:4]
BOUND = sys.argv[4:5] == ["request"]
jwks = jwt.PyJWKClient(JWKS_URL)


def verified_claims(assertion, method, path):
    """The assertion's claims, or an exception saying why it is refused."""
    key = jwks.get_signing_key_from_jwt(assertion)
    claims = jwt.decode(
        assertion,
        key.key,
        algorithms=["ES256"],
        audience=AUDIENCE,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "iss", "aud", "sub"]},
    )
    if BOUND and (claims.get("htm") != method or claims.get("htu") != path):
        raise jwt.InvalidTokenError("made for another method or path")
    return claims


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self):
        path = urlsplit(self.path).path
        assertion = self.headers.get("x-auth-assertion", "")
        try:
            claims = verified_claims(assertion, self.command, path)
            status, body = 200, {"ok": True, "claims": claims, "assertion": assertion}
        except Exception as e:  # every failure is a refusal
            status, body = 401, {"error": "invalid_assertion", "why": type(e).__name__}
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_DELETE = answer


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
