"""A loopback TCP proxy in front of an OVSDB server whose server-to-client direction can
be held: the client's replica then stays stale while its requests still reach the server,
which makes "a check on a stale replica" deterministic in a test (no timing involved)."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class HoldingProxy:
    def __init__(self, remote: str) -> None:
        scheme, host, port = remote.split(":")
        if scheme != "tcp":
            raise ValueError(f"only tcp: remotes are proxied, not {remote}")
        self.target = (host, int(port))
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.remote = f"tcp:127.0.0.1:{self.listener.getsockname()[1]}"
        self._open = threading.Event()  # set: server-to-client data flows
        self._open.set()
        self._seen = threading.Condition()
        self.transacts = 0  # "transact" requests forwarded to the server so far
        self._sockets: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._start(self._accept)

    def _start(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True, name="nb-proxy")
        self._threads.append(thread)
        thread.start()

    def _accept(self) -> None:
        while not self._stopping:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            self._sockets += [client, server]
            self._start(self._pump, client, server, True)
            self._start(self._pump, server, client, False)

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not upstream:
                    self._open.wait()
                dst.sendall(data)
                if upstream and b'"transact"' in data:
                    with self._seen:
                        self.transacts += data.count(b'"transact"')
                        self._seen.notify_all()
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    @contextmanager
    def holding(self) -> Iterator[None]:
        """Hold what the server sends (updates and replies) until the block ends; the
        client's requests still go through."""
        self._open.clear()
        try:
            yield
        finally:
            self._open.set()

    def wait_transacts(self, count: int, timeout: float = 30.0) -> bool:
        """Wait until `count` transact requests in all went to the server."""
        with self._seen:
            return self._seen.wait_for(lambda: self.transacts >= count, timeout)

    def close(self) -> None:
        self._stopping = True
        self._open.set()
        self.listener.close()
        for sock in self._sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        for thread in self._threads:
            thread.join(5)
