"""Looking at and restarting the real RabbitMQ, independently of Telecart's code.

pika is a different client from the kombu/py-amqp stack the bus uses, so what
these helpers report is what the broker holds, not what Telecart believes.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from urllib.parse import unquote, urlparse

import pika
import pytest
from pika.exceptions import ChannelClosedByBroker

from shared import SERVICES
from shared.events.amqp import Topology


def pika_parameters(url: str) -> pika.ConnectionParameters:
    parsed = urlparse(url)
    vhost = unquote(parsed.path[1:]) if len(parsed.path) > 1 else "/"
    return pika.ConnectionParameters(
        host=parsed.hostname,
        port=parsed.port or 5672,
        virtual_host=vhost or "/",
        credentials=pika.PlainCredentials(
            parsed.username or "guest", parsed.password or "guest"
        ),
        connection_attempts=3,
        retry_delay=1,
        socket_timeout=5,
    )


@contextlib.contextmanager
def pika_channel(
    url: str,
) -> Iterator[pika.adapters.blocking_connection.BlockingChannel]:
    connection = pika.BlockingConnection(pika_parameters(url))
    try:
        yield connection.channel()
    finally:
        if connection.is_open:
            connection.close()


def queue_depth(url: str, queue: str) -> int | None:
    """Messages ready in ``queue``, or None if the broker has no such queue."""
    with pika_channel(url) as channel:
        try:
            return channel.queue_declare(queue, passive=True).method.message_count
        except ChannelClosedByBroker:
            return None


def queue_is_durable(url: str, queue: str) -> bool:
    """A passive redeclare as non-durable is refused only if the queue is durable."""
    with pika_channel(url) as channel:
        try:
            channel.queue_declare(queue, durable=False)
        except ChannelClosedByBroker as exc:
            return exc.reply_code == 406
        channel.queue_delete(queue)
        return False


def browse(url: str, queue: str) -> list[tuple[dict, bytes]]:
    """Headers and body of every message in ``queue``, leaving them all there."""
    found = []
    with pika_channel(url) as channel:
        while True:
            method, properties, body = channel.basic_get(queue, auto_ack=False)
            if method is None:
                break
            found.append((dict(properties.headers or {}), body))
    return found


def publish_raw(url: str, exchange: str, routing_key: str, body: bytes) -> bool:
    """Publish as a foreign producer would; True if the broker routed it."""
    with pika_channel(url) as channel:
        channel.confirm_delivery()
        try:
            channel.basic_publish(
                exchange,
                routing_key,
                body,
                pika.BasicProperties(delivery_mode=2, message_id=str(uuid.uuid4())),
                mandatory=True,
            )
        except pika.exceptions.UnroutableError:
            return False
    return True


def delete_topology(url: str, topology: Topology, delays_ms=(100, 200)) -> None:
    with pika_channel(url) as channel:
        for service in SERVICES:
            names = [topology.queue(service), topology.dead_letter_queue(service)]
            names += [topology.retry_queue(service, d) for d in delays_ms]
            for name in names:
                channel.queue_delete(name)
        channel.exchange_delete(topology.exchange)


def port_answers(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 5672), 1):
            return True
    except OSError:
        return False


def rabbitmqctl(*args: str) -> None:
    try:
        subprocess.run(
            ["rabbitmqctl", *args], check=True, capture_output=True, timeout=60
        )
    except (FileNotFoundError, subprocess.CalledProcessError) as exc:
        pytest.skip(f"cannot control the broker with rabbitmqctl: {exc}")


def wait_for_broker(url: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if port_answers(url):
            with contextlib.suppress(Exception):
                with pika_channel(url):
                    return
        time.sleep(0.3)
    raise AssertionError(f"the broker did not come back within {timeout_s}s")


@contextlib.contextmanager
def broker_stopped(url: str) -> Iterator[None]:
    """Stop the broker's app; start it again afterwards, pass or fail."""
    rabbitmqctl("stop_app")
    try:
        yield
    finally:
        rabbitmqctl("start_app")
        wait_for_broker(url)


class FreezingProxy:
    """A TCP proxy to the broker whose current links can be frozen.

    A frozen link stays open but carries nothing either way: the half-open
    connection a dead NAT or a pulled cable leaves behind. Links opened after
    the freeze work normally, so a client that notices can reconnect.
    """

    def __init__(self, url: str) -> None:
        import threading

        parsed = urlparse(url)
        self.upstream = (parsed.hostname, parsed.port or 5672)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = url.replace(
            f"{parsed.hostname}:{parsed.port or 5672}", f"127.0.0.1:{self.port}"
        )
        self.links: list[list] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        import threading

        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.upstream, 5)
            link = [client, server, False]
            self.links.append(link)
            for src, dst in ((client, server), (server, client)):
                threading.Thread(
                    target=self._pump, args=(link, src, dst), daemon=True
                ).start()

    @staticmethod
    def _pump(link: list, src: socket.socket, dst: socket.socket) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if not link[2]:
                    dst.sendall(data)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_RDWR)

    def freeze(self) -> int:
        """Freeze every open link; return how many."""
        for link in self.links:
            link[2] = True
        return len(self.links)

    def close(self) -> None:
        self._closed = True
        self.listener.close()
        for client, server, _ in self.links:
            for sock in (client, server):
                with contextlib.suppress(OSError):
                    sock.close()
