"""Serving the studio: a socket on loopback (any other address only when asked for by name),
uvicorn on it, and the browser opened at its URL."""

from __future__ import annotations

import ipaddress
import socket
import threading
import webbrowser
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from schemakit.errors import SchemakitError

__all__ = ["LOOPBACK", "bind", "is_loopback", "running", "serve"]

LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port the system picks)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise SchemakitError(
            f"cannot listen on {host}:{port}: {exc.strerror}",
            hint="pick another --port, or leave it out for a free one",
        ) from exc
    sock.listen(64)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/"


def _server(app: Any) -> Any:
    import uvicorn

    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    return uvicorn.Server(config)


def serve(app: Any, sock: socket.socket, *, open_browser: bool, say: Callable[[str], None]) -> None:
    """Serve ``app`` on ``sock`` until interrupted."""
    url = url_of(sock)
    say(f"studio at {url} (Ctrl-C to stop)")
    if open_browser:
        threading.Timer(0.3, webbrowser.open, (url,)).start()
    _server(app).run(sockets=[sock])


@contextmanager
def running(app: Any, host: str = LOOPBACK) -> Iterator[str]:
    """Serve ``app`` on a free port in a thread for the ``with`` block; yields its URL (for
    tests and the bench)."""
    sock = bind(host, 0)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise SchemakitError("the studio's server did not start")
            threading.Event().wait(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
