#!/usr/bin/env python3
"""A stand-in for the opencode release binary, for building and running the real image in tests.

Implements what opencode-cloud relies on from `opencode serve --hostname H --port P`:
GET /global/health -> {"healthy":true,"version":...}, a web page at /, and HTTP basic auth on
every route when OPENCODE_SERVER_PASSWORD is set (user OPENCODE_SERVER_USERNAME, default
"opencode"). At start it writes a file into its data and config folders, as opencode does, and
exits with an error when it cannot. /whoami reports what the tests check from inside.
"""

import base64
import hmac
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

VERSION = "0.0.0-standin"
HOME = os.path.expanduser("~")
DATA_DIR = os.path.join(HOME, ".local", "share", "opencode")
CONFIG_DIR = os.path.join(HOME, ".config", "opencode")
PROJECTS_DIR = os.path.join(HOME, "workspace")


def usage():
    sys.stderr.write("usage: opencode serve --hostname HOST --port PORT\n")
    sys.exit(2)


def parse_args(argv):
    if not argv or argv[0] != "serve":
        usage()
    host, port = "127.0.0.1", 4096
    rest = argv[1:]
    while rest:
        flag = rest.pop(0)
        if not rest:
            usage()
        value = rest.pop(0)
        if flag == "--hostname":
            host = value
        elif flag == "--port":
            port = int(value)
        else:
            usage()
    return host, port


def record_start():
    """Appends a line to a file in each folder opencode writes to; fails loudly if it cannot."""
    starts = 0
    for folder in (DATA_DIR, CONFIG_DIR):
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, "standin-starts")
        with open(path, "a", encoding="utf-8") as f:
            f.write(f"{os.getpid()}\n")
        with open(path, encoding="utf-8") as f:
            starts = max(starts, len(f.readlines()))
    return starts


class Handler(BaseHTTPRequestHandler):
    server_version = "opencode-standin"

    def authorized(self):
        password = os.environ.get("OPENCODE_SERVER_PASSWORD", "")
        if not password:
            return True
        user = os.environ.get("OPENCODE_SERVER_USERNAME", "opencode")
        expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        given = self.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), expected.encode())

    def send(self, status, content_type, body):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="opencode"')
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        if not self.authorized():
            self.send(401, "text/plain", "Unauthorized")
        elif self.path == "/global/health":
            self.send(200, "application/json", json.dumps({"healthy": True, "version": VERSION}))
        elif self.path == "/":
            self.send(200, "text/html", "<!doctype html><title>opencode</title><h1>opencode stand-in</h1>")
        elif self.path == "/whoami":
            writable = {}
            for folder in (DATA_DIR, PROJECTS_DIR, CONFIG_DIR):
                probe = os.path.join(folder, ".standin-probe")
                try:
                    with open(probe, "w", encoding="utf-8") as f:
                        f.write("ok")
                    os.remove(probe)
                    writable[folder] = True
                except OSError:
                    writable[folder] = False
            info = {
                "uid": os.getuid(),
                "gid": os.getgid(),
                "home": HOME,
                "cwd": os.getcwd(),
                "lang": os.environ.get("LANG"),
                "starts": STARTS,
                "writable": writable,
            }
            self.send(200, "application/json", json.dumps(info))
        else:
            self.send(404, "text/plain", "Not Found")

    def log_message(self, format, *args):  # noqa: A002 (the base class's name)
        sys.stderr.write("%s %s\n" % (self.command, self.path))


if __name__ == "__main__":
    HOST, PORT = parse_args(sys.argv[1:])
    STARTS = record_start()
    print(f"opencode stand-in {VERSION} listening on http://{HOST}:{PORT}", flush=True)
    ThreadingHTTPServer((HOST, PORT), Handler).serve_forever()
