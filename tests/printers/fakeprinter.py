"""A printer on 127.0.0.1 for the tests, and an ESC/POS decoder.

:class:`FakePrinter` is a real TCP server (a thread, a free port) that
records every byte that arrives and answers the real-time status requests
``DLE EOT 1`` / ``DLE EOT 4`` like an Epson printer. :func:`decode` turns the
recorded stream back into the printed image (``GS v 0`` raster fragments) and
the list of commands, so the tests assert on what the printer would print.
"""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field

from PIL import Image

ONLINE = 0x12        # DLE EOT 1: fixed bits only -> online, no error
PAPER_OK = 0x12      # DLE EOT 4: fixed bits only -> paper present
PAPER_END = 0x72     # DLE EOT 4: paper-end bits (5, 6) set
OFFLINE = 0x1A       # DLE EOT 1: offline bit (3) set


@dataclass
class Command:
    """One parsed ESC/POS command: a name and its argument bytes."""

    name: str
    args: bytes = b""
    image: Image.Image | None = None


def parse(buf: bytes) -> tuple[list[Command], int]:
    """Parse complete commands from ``buf``; returns them and bytes consumed.

    Knows what python-escpos emits for an image job: ``ESC @``, ``GS v 0``,
    ``ESC d n``, ``GS V m [n]``, and ``DLE EOT n``. Any other byte is kept as
    an ``unknown`` command so nothing goes unnoticed.
    """
    cmds: list[Command] = []
    i = 0
    n = len(buf)
    while i < n:
        b = buf[i]
        if buf.startswith(b"\x1b@", i):
            cmds.append(Command("init")); i += 2
        elif buf.startswith(b"\x10\x04", i):
            if i + 3 > n:
                break
            cmds.append(Command("status", buf[i + 2:i + 3])); i += 3
        elif buf.startswith(b"\x1bd", i):
            if i + 3 > n:
                break
            cmds.append(Command("feed", buf[i + 2:i + 3])); i += 3
        elif buf.startswith(b"\x1dV", i):
            if i + 3 > n:
                break
            m = buf[i + 2]
            size = 4 if m in (65, 66) else 3
            if i + size > n:
                break
            cmds.append(Command("cut", buf[i + 2:i + size])); i += size
        elif buf.startswith(b"\x1dv0", i):
            if i + 8 > n:
                break
            xbytes = buf[i + 4] | buf[i + 5] << 8
            rows = buf[i + 6] | buf[i + 7] << 8
            end = i + 8 + xbytes * rows
            if end > n:
                break
            # raster: bit 1 = a printed (black) dot; Pillow "1": 0 = black.
            img = Image.frombytes("1", (xbytes * 8, rows), buf[i + 8:end], "raw", "1;I")
            cmds.append(Command("raster", buf[i + 3:end], img)); i = end
        else:
            cmds.append(Command("unknown", bytes([b]))); i += 1
    return cmds, i


def decode(data: bytes) -> tuple[Image.Image | None, list[Command]]:
    """The printed image (raster fragments stacked) and all commands of a job."""
    cmds, used = parse(data)
    assert used == len(data), f"{len(data) - used} trailing bytes of an incomplete command"
    frags = [c.image for c in cmds if c.name == "raster"]
    if not frags:
        return None, cmds
    width = max(f.width for f in frags)
    out = Image.new("1", (width, sum(f.height for f in frags)), 1)
    y = 0
    for f in frags:
        out.paste(f, (0, y))
        y += f.height
    return out, cmds


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on (a printer that is off), free to listen on later."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class FakePrinter:
    """A raw-TCP (port 9100 style) printer on 127.0.0.1.

    ``mode``: ``"ok"`` answers status online with paper; ``"paper_end"``
    reports the paper sensor empty; ``"silent"`` accepts and never reads nor
    answers; ``"mute"`` reads everything and never answers (a print server,
    a printer without real-time status, ``nc -l``); ``"once"`` answers the
    first status request only (a printer that hangs while printing);
    ``"drop"`` answers status but closes the connection once
    ``drop_after`` job bytes have arrived (the printer disappears mid-job).
    ``"eager"`` is a printer that takes real-time requests even inside
    raster data: every ``10 04 n`` in an image is answered too (``n=1`` with
    "offline", as a busy printer may), before the answers to the real requests.
    ``port`` 0 picks a free port.
    """

    mode: str = "ok"
    drop_after: int = 100
    received: list[bytes] = field(default_factory=list)
    port: int = 0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._server.settimeout(0.05)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"tcp://127.0.0.1:{self.port}"

    @property
    def data(self) -> bytes:
        """Everything received on all connections, in order."""
        with self._lock:
            return b"".join(self.received)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.append(conn)
                self.received.append(b"")
                index = len(self.received) - 1
            if self.mode == "silent":
                continue  # keep it open, never read
            threading.Thread(target=self._handle, args=(conn, index), daemon=True).start()

    def _handle(self, conn: socket.socket, index: int) -> None:
        buf = b""
        answered = 0
        conn.settimeout(0.05)
        while not self._stop.is_set():
            try:
                chunk = conn.recv(64 if self.mode == "drop" else 65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:  # the kiosk is done sending: close, as nc -l does
                conn.close()
                return
            with self._lock:
                self.received[index] += chunk
            buf += chunk
            cmds, used = parse(buf)
            buf = buf[used:]
            for cmd in cmds:
                if cmd.name == "raster" and self.mode == "eager":
                    data = cmd.args[5:]
                    answers = bytes(OFFLINE if data[k + 2] == 1 else PAPER_OK
                                    for k in range(len(data) - 2)
                                    if data[k:k + 2] == b"\x10\x04" and 1 <= data[k + 2] <= 4)
                    try:
                        conn.sendall(answers)
                    except OSError:
                        return
                if cmd.name == "status" and self.mode != "mute":
                    answered += 1
                    if self.mode == "once" and answered > 2:
                        continue
                    kind = cmd.args[0]
                    answer = ONLINE if kind == 1 else (PAPER_END if self.mode == "paper_end" else PAPER_OK)
                    try:
                        conn.sendall(bytes([answer]))
                    except OSError:
                        return
            job_bytes = len(self.received[index]) - 6  # minus the first status request
            if self.mode == "drop" and job_bytes >= self.drop_after:
                conn.close()
                return

    @property
    def printed(self) -> bytes:
        """What was sent to print: everything received but the connections that only asked the
        printer how it is (the printers screen's live status), which print nothing."""
        question = b"\x10\x04\x01\x10\x04\x04"
        with self._lock:
            return b"".join(data for data in self.received if data != question)

    def wait_for(self, size: int, seconds: float = 2.0) -> bytes:
        """Everything received, once ``size`` bytes have arrived (or ``seconds`` have passed)."""
        end = time.monotonic() + seconds
        while len(self.data) < size and time.monotonic() < end:
            time.sleep(0.01)
        return self.data

    def close(self) -> None:
        """Stop the server and close every socket it opened."""
        self._stop.set()
        self._server.close()
        self._thread.join(2)
        with self._lock:
            for conn in self._conns:
                conn.close()
