"""A small SMTP server on loopback that takes a fixed time to accept each message: the mail
relay a reminder's e-mail goes to, for the bench's I/O-bound delivery row.

It speaks as much SMTP as Django's ``smtp.EmailBackend`` (``smtplib``) uses without TLS or
authentication: ``EHLO``/``HELO``, ``MAIL``, ``RCPT``, ``DATA``, ``RSET``, ``NOOP``,
``QUIT``. After the end of a message's data it waits ``delay`` seconds before answering
``250`` (a relay that checks and queues the message), then counts it. Each connection is a
coroutine, so concurrent senders wait in parallel, as they would on a real relay. The server
runs in a thread of the bench process (asyncio; the wait holds no lock):

    with SmtpServer(delay=0.05) as smtp:
        ... EMAIL_HOST=127.0.0.1 EMAIL_PORT=smtp.port ...
        smtp.received  # messages accepted so far
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class SmtpServer:
    def __init__(self, delay: float = 0.05, host: str = "127.0.0.1") -> None:
        self.delay = delay
        self.host = host
        self.port = 0  # chosen by the system when the server starts
        self.received = 0
        self.recipients: list[str] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # A reply of several lines (EHLO's) leaves in one write, as one segment.
        pending: list[bytes] = []

        def reply(line: str) -> None:
            pending.append(line.encode() + b"\r\n")

        async def flush() -> None:
            writer.write(b"".join(pending))
            pending.clear()
            await writer.drain()

        reply("220 bench-smtp ESMTP")
        await flush()
        rcpts: list[str] = []
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                verb = line[:4].decode("ascii", "replace").upper()
                if verb == "EHLO":
                    reply("250-bench-smtp")
                    reply("250-8BITMIME")
                    reply("250 SMTPUTF8")
                elif verb == "HELO":
                    reply("250 bench-smtp")
                elif verb == "MAIL":
                    rcpts = []
                    reply("250 OK")
                elif verb == "RCPT":
                    rcpts.append(line.decode("utf-8", "replace").split(":", 1)[-1].strip())
                    reply("250 OK")
                elif verb == "DATA":
                    reply("354 End data with <CR><LF>.<CR><LF>")
                    await flush()
                    while await reader.readline() not in (b".\r\n", b".\n", b""):
                        pass
                    await asyncio.sleep(self.delay)  # the relay's fixed work per message
                    self.received += 1
                    self.recipients += rcpts
                    reply("250 OK queued")
                elif verb in ("RSET", "NOOP"):
                    rcpts = [] if verb == "RSET" else rcpts
                    reply("250 OK")
                elif verb == "QUIT":
                    reply("221 Bye")
                    await flush()
                    break
                else:
                    reply("502 Command not implemented")
                await flush()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def _run(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._session, self.host, 0, backlog=128)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()
        self._server.close()
        self._loop.run_until_complete(self._server.wait_closed())
        self._loop.close()

    def __enter__(self) -> SmtpServer:
        self._thread = threading.Thread(target=self._run, name="bench-smtp", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the bench SMTP server did not start")
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)
