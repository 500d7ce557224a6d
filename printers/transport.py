"""The transport: the backends that carry encoded bytes to a printer, chosen by URL.

:func:`send_bytes` writes an already encoded job (see
:mod:`printers.encoding`) to the printer named by a URL; each backend has
one function ``(url parts, bytes, timeout)``, like python-escpos's one
``_raw(bytes)`` per printer class, and :data:`BACKENDS` picks it by the
URL's scheme::

    dummy:                          keeps nothing (demo, tests)
    file:///var/spool/kiosk.bin     appends the bytes to a file
    tcp://192.168.1.50:9100         raw TCP ("JetDirect"), port 9100 by default
    usb://04b8:0202                 USB vendor:product (hex), needs pyusb
    serial:///dev/ttyUSB0?baudrate=9600   needs pyserial
    cups://QUEUE                    a raw CUPS queue, needs pycups

Every backend opens its connection per job, has a timeout and closes in
``finally``. ``tcp://`` asks the printer for its real-time status (``DLE EOT
1`` printer, ``DLE EOT 4`` paper sensor) before sending — so nothing is
queued in a printer that is out of paper — and again after, so a printer that
answered before but not after the job, or ran out of paper, is a failure with
a clear reason. A port that accepts the connection but never answers the
status query (a print server, a printer without real-time status, ``nc -l``)
gets the job anyway: :func:`send_bytes` says the status is unknown
(:attr:`Sent.status_unknown`) instead of failing. A refused connection is
still "is it switched on?". Every failure is a
:class:`~printers.errors.PrinterError`.

The transport knows nothing of documents, images or encoders: bytes in.
"""
from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from printers import errors
from printers.errors import PrinterError

DLE_EOT_PRINTER = b"\x10\x04\x01"  # real-time status: printer
DLE_EOT_PAPER = b"\x10\x04\x04"    # real-time status: roll paper sensor
STATUS_REQUEST = DLE_EOT_PRINTER + DLE_EOT_PAPER
OFFLINE_BIT = 0x08                 # in the DLE EOT 1 answer
PAPER_END_BITS = 0x60              # in the DLE EOT 4 answer
#: how long a ``tcp://`` printer has to start answering the first status query
#: before the job is sent without its status (a real printer answers in
#: milliseconds); at most a third of the job's timeout, so the job still has time.
STATUS_WAIT = 1.0
#: after a job sent without a status answer, how long to take what the far end
#: still sends before closing (closing on unread bytes would reset the connection).
DRAIN_WAIT = 0.3


@dataclass(frozen=True)
class Sent:
    """A job handed over. ``status_unknown``: the printer took the connection and the
    bytes but never answered the status query, so whether it printed is not known."""

    status_unknown: bool = False


# ---------------------------------------------------------------- backends

Backend = Callable[[Any, bytes, float], Sent | None]


def _dummy(url: Any, data: bytes, timeout: float) -> None:
    """``dummy:`` accepts the job and keeps nothing."""


def _file(url: Any, data: bytes, timeout: float) -> None:
    """``file:///path`` appends the bytes (a spool file or a device node)."""
    path = unquote(url.path)
    if not path:
        raise PrinterError(errors.UNKNOWN_URL, url=url.geturl())
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise PrinterError(errors.DEVICE_ERROR, where=path, detail=exc.strerror or str(exc)) from None
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    except OSError as exc:
        raise PrinterError(errors.DEVICE_ERROR, where=path, detail=exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


class _Deadline:
    """One time budget for a whole job: each socket call gets what is left."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def left(self, sock: socket.socket) -> None:
        remaining = self.end - time.monotonic()
        if remaining <= 0:
            raise PrinterError(errors.TIMEOUT, seconds=_fmt(self.seconds))
        sock.settimeout(remaining)


def _fmt(seconds: float) -> str:
    return f"{seconds:g}"


class _NoAnswer(Exception):
    """Nothing came back to the first status query in :data:`STATUS_WAIT`."""


def _read_status(sock: socket.socket, deadline: _Deadline, extra: int = 0,
                 first_wait: float | None = None) -> tuple[int, int]:
    """Read the answers to :data:`STATUS_REQUEST` (two bytes). ``extra`` is
    how many real-time requests the job data itself may have contained (a
    printer may answer those too): their answers come first, so the last
    two bytes are ours. With ``first_wait``, :class:`_NoAnswer` when not one
    byte came in that many seconds (then the rest has the deadline)."""
    got = b""
    while len(got) < 2 + extra:
        if not got and first_wait is not None:
            remaining = deadline.end - time.monotonic()
            if remaining <= 0:
                raise PrinterError(errors.TIMEOUT, seconds=_fmt(deadline.seconds))
            sock.settimeout(min(first_wait, remaining))
            try:
                chunk = sock.recv(64)
            except TimeoutError:
                raise _NoAnswer from None
        elif len(got) >= 2 and extra:
            # the printer may not have taken the look-alikes in the data as
            # requests: give it a moment, then go with what came.
            sock.settimeout(min(0.2, max(0.0, deadline.end - time.monotonic())) or 0.001)
            try:
                chunk = sock.recv(64)
            except TimeoutError:
                break
        else:
            deadline.left(sock)
            chunk = sock.recv(64)
        if not chunk:
            raise PrinterError(errors.LOST)
        got += chunk
    printer, paper = got[-2], got[-1]
    return printer, paper


def _check_status(printer: int, paper: int) -> None:
    if paper & PAPER_END_BITS:
        raise PrinterError(errors.PAPER_OUT)
    if printer & OFFLINE_BIT:
        raise PrinterError(errors.OFFLINE)


def _drain(sock: socket.socket, deadline: _Deadline) -> None:
    """No more to send: say so (FIN after the job's last byte), then read what
    the far end still sends, briefly, so closing does not reset the connection
    (a reset may drop job bytes a print server has not passed on yet)."""
    sock.shutdown(socket.SHUT_WR)
    end = min(deadline.end, time.monotonic() + DRAIN_WAIT)
    while (remaining := end - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            if not sock.recv(4096):
                return
        except (TimeoutError, OSError):
            return


def _tcp(url: Any, data: bytes, timeout: float, ask_status: bool = True) -> Sent:
    """``tcp://host:port`` (raw port 9100): status, job, status; or, when the
    status query goes unanswered, the job alone (status unknown). ``ask_status``
    False (a label printer, which does not speak ESC/POS): the job alone."""
    host, port = url.hostname, url.port or 9100
    if not host:
        raise PrinterError(errors.UNKNOWN_URL, url=url.geturl())
    where = f"{host}:{port}"
    deadline = _Deadline(timeout)
    sock: socket.socket | None = None
    stage = "connect"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
        stage = "status"
        deadline.left(sock)
        try:
            if not ask_status:
                raise _NoAnswer
            sock.sendall(STATUS_REQUEST)
            _check_status(*_read_status(sock, deadline, first_wait=min(STATUS_WAIT, timeout / 3)))
        except _NoAnswer:
            stage = "job"
            deadline.left(sock)
            sock.sendall(data)
            _drain(sock, deadline)
            return Sent(status_unknown=True)
        stage = "job"
        deadline.left(sock)
        sock.sendall(data)
        deadline.left(sock)
        sock.sendall(STATUS_REQUEST)
        lookalikes = sum(data.count(b"\x10\x04" + bytes([n])) for n in (1, 2, 3, 4))
        _check_status(*_read_status(sock, deadline, extra=lookalikes))
        return Sent()
    except PrinterError:
        raise
    except ConnectionRefusedError:
        raise PrinterError(errors.REFUSED, where=where) from None
    except TimeoutError:  # socket.timeout is TimeoutError since 3.10
        raise PrinterError(errors.TIMEOUT, seconds=_fmt(timeout)) from None
    except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
        raise PrinterError(errors.LOST if stage != "connect" else errors.REFUSED, where=where) from None
    except OSError as exc:  # DNS, no route, ...
        if stage == "job":
            raise PrinterError(errors.LOST) from None
        raise PrinterError(errors.UNREACHABLE, where=where, detail=exc.strerror or str(exc)) from None
    finally:
        if sock is not None:
            sock.close()


def _require(module: str, scheme: str, package: str) -> None:
    try:
        __import__(module)
    except ImportError:
        raise PrinterError(errors.MISSING_PACKAGE, scheme=f"{scheme}://", package=package) from None


def _escpos_device(printer: Any, where: str, data: bytes) -> None:
    """Open a python-escpos device printer, write, close in ``finally``."""
    from escpos.exceptions import DeviceNotFoundError

    try:
        printer.open()
        printer._raw(data)
    except DeviceNotFoundError as exc:
        raise PrinterError(errors.DEVICE_ERROR, where=where, detail=str(exc).strip()) from None
    except PrinterError:
        raise
    except Exception as exc:  # driver errors (usb.core.USBError, SerialException, IPPError)
        raise PrinterError(errors.DEVICE_ERROR, where=where, detail=str(exc) or type(exc).__name__) from None
    finally:
        try:
            printer.close()
        except Exception:  # noqa: BLE001 - closing a broken device must not hide the reason
            pass


def _usb(url: Any, data: bytes, timeout: float) -> None:
    """``usb://VID:PID`` (hex), via pyusb."""
    _require("usb.core", "usb", "pyusb")
    from escpos.printer import Usb

    try:
        vid, pid = (int(x, 16) for x in url.netloc.split(":"))
    except ValueError:
        raise PrinterError(errors.UNKNOWN_URL, url=url.geturl()) from None
    _escpos_device(Usb(vid, pid, timeout=int(timeout * 1000)), url.netloc, data)


def _serial(url: Any, data: bytes, timeout: float) -> None:
    """``serial:///dev/ttyUSB0?baudrate=9600``, via pyserial."""
    _require("serial", "serial", "pyserial")
    from escpos.printer import Serial

    query = parse_qs(url.query)
    try:
        baudrate = int(query.get("baudrate", ["9600"])[0])
    except ValueError:
        raise PrinterError(errors.UNKNOWN_URL, url=url.geturl()) from None
    path = unquote(url.path)
    _escpos_device(Serial(devfile=path, baudrate=baudrate, timeout=timeout), path, data)


def _cups(url: Any, data: bytes, timeout: float) -> None:
    """``cups://QUEUE`` (a raw queue), via pycups."""
    _require("cups", "cups", "pycups")
    from escpos.printer import CupsPrinter

    queue = unquote(url.netloc or url.path.lstrip("/"))
    _escpos_device(CupsPrinter(printer_name=queue), queue, data)


#: URL scheme → backend(url parts, bytes, timeout seconds).
BACKENDS: dict[str, Backend] = {
    "dummy": _dummy,
    "file": _file,
    "tcp": _tcp,
    "usb": _usb,
    "serial": _serial,
    "cups": _cups,
}


READY, NO_ANSWER, NOT_ASKED = "ready", "no_answer", "not_asked"


def ask_status(url: str, *, timeout: float = 2.0) -> str:
    """Ask the printer at ``url`` how it is, printing nothing: :data:`READY`, :data:`NO_ANSWER`
    (it took the question and said nothing: a print server, a printer without real-time
    status), or :data:`NOT_ASKED` (only a ``tcp://`` printer is asked). PrinterError when it is
    out of paper, offline, or cannot be reached. Only for a printer that speaks ESC/POS: a
    label printer would print the question."""
    parts = parse_url(url)
    if parts.scheme != "tcp":
        return NOT_ASKED
    host, port = parts.hostname, parts.port or 9100
    if not host:
        raise PrinterError(errors.UNKNOWN_URL, url=url)
    where = f"{host}:{port}"
    deadline = _Deadline(timeout)
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            deadline.left(sock)
            sock.sendall(STATUS_REQUEST)
            try:
                _check_status(*_read_status(sock, deadline, first_wait=min(STATUS_WAIT, timeout)))
            except _NoAnswer:
                return NO_ANSWER
            return READY
    except PrinterError:
        raise
    except ConnectionRefusedError:
        raise PrinterError(errors.REFUSED, where=where) from None
    except TimeoutError:
        raise PrinterError(errors.TIMEOUT, seconds=_fmt(timeout)) from None
    except OSError as exc:
        raise PrinterError(errors.UNREACHABLE, where=where, detail=exc.strerror or str(exc)) from None


def parse_url(url: str) -> Any:
    """The split URL, or PrinterError for an unknown scheme."""
    parts = urlsplit(url or "")
    if parts.scheme not in BACKENDS:
        raise PrinterError(errors.UNKNOWN_URL, url=url)
    return parts


def send_bytes(data: bytes, url: str, *, timeout: float = 3.0, ask_status: bool = True) -> Sent:
    """Write an already encoded job to the printer at ``url``; return when it is done.

    Raises :class:`PrinterError` with the reason on any failure. The
    :class:`Sent` says whether the printer's status stayed unknown. ``ask_status``
    False: ``tcp://`` sends no ESC/POS status query (a TSPL or ZPL label printer
    would take it for part of the label) and the status stays unknown.
    """
    parts = parse_url(url)
    if parts.scheme == "tcp":
        return _tcp(parts, data, timeout, ask_status)
    return BACKENDS[parts.scheme](parts, data, timeout) or Sent()
