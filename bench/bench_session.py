"""The benchmark clients' HTTP sessions: one keep-alive requests.Session per thread, each sending
the API token given to use_token() as Authorization: Bearer."""

import threading

import requests

_local = threading.local()
_headers = {}


def use_token(token):
    """Every session made from now on sends `token`."""
    _headers["Authorization"] = "Bearer " + token


def session():
    """This thread's session (one keep-alive connection per client thread)."""
    s = getattr(_local, "session", None)
    if s is None:
        s = requests.Session()
        s.headers.update(_headers)
        _local.session = s
    return s
