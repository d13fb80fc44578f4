"""A TCP relay in front of the registry that slows the registry-to-engine direction, so that a
pull of a few MB lasts a few seconds: long enough for the window's layer rows to be seen and
photographed mid-download. Loopback only; it ends with the test process."""

import socket
import threading
import time


class SlowRelay:
    def __init__(self, upstream: str, bytes_per_second: int):
        host, port = upstream.rsplit(":", 1)
        self.upstream = (host, int(port))
        self.rate = bytes_per_second
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.address = "127.0.0.1:%d" % self.listener.getsockname()[1]
        self.sockets = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, name="slow-relay", daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # closed
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self.lock:
                self.sockets += [client, server]
            threading.Thread(target=self._pipe, args=(client, server, 0), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, self.rate),
                             daemon=True).start()

    @staticmethod
    def _pipe(src, dst, rate):
        try:
            while True:
                data = src.recv(16384)
                if not data:
                    break
                dst.sendall(data)
                if rate:
                    time.sleep(len(data) / rate)  # pacing, not waiting on an outcome
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self):
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        except OSError:
            pass
        self.listener.close()
        with self.lock:
            for s in self.sockets:
                s.close()
