"""A TCP relay that plays a slow, lossy network link, run inside a network namespace of its own
between a web host and the database host (this kernel has no netem). Usage:

    python relay.py LISTEN_HOST:PORT TARGET_HOST:PORT CONTROL_FILE

CONTROL_FILE holds JSON {"delay_ms": 100, "loss": 0.05, "retransmit_ms": 300}, read again every
half second: each chunk of data waits `delay_ms` in each direction (so 100 gives a 200 ms round
trip), and a `loss` share of chunks waits `retransmit_ms` more, as a lost TCP segment does
before it is sent again. Order within a connection is kept."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import sys
import time
from pathlib import Path

settings = {"delay_ms": 0.0, "loss": 0.0, "retransmit_ms": 300.0}


async def watch(control: Path) -> None:
    while True:
        with contextlib.suppress(OSError, ValueError):  # half written: read it next time
            settings.update(json.loads(control.read_text()))
        await asyncio.sleep(0.5)


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def send() -> None:
        while True:
            due, data = await queue.get()
            if not data:
                break
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(data)
            await writer.drain()
        writer.close()

    sender = asyncio.create_task(send())
    last_due = 0.0
    try:
        while data := await reader.read(65536):
            wait = settings["delay_ms"] + (
                settings["retransmit_ms"] if random.random() < settings["loss"] else 0
            )
            last_due = max(last_due, time.monotonic() + wait / 1000)  # keep the stream's order
            queue.put_nowait((last_due, data))
    except ConnectionError:
        pass
    queue.put_nowait((last_due, b""))
    await sender


async def main(listen: str, target: str, control: Path) -> None:
    host, port = listen.rsplit(":", 1)
    to_host, to_port = target.rsplit(":", 1)

    async def handle(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(to_host, int(to_port))
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer), pipe(server_reader, client_writer))

    watcher = asyncio.create_task(watch(control))
    server = await asyncio.start_server(handle, host, int(port))
    print("relay ready", flush=True)
    async with server:
        await server.serve_forever()
    watcher.cancel()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], Path(sys.argv[3])))
