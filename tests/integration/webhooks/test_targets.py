"""Webhook targets at send time: a real worker, a real receiver on 127.0.0.1, a settable resolver.

The receiver listens on loopback, which webhooks refuse unless the operator
allows it; so a webhook that is (or has come to resolve to) loopback or a
private address is never connected to without the allow-list, the post goes
to the address that was checked (DNS is asked once), and a redirect is a
failed delivery, never followed.
"""

from __future__ import annotations

import ipaddress
import shutil
import ssl
import subprocess
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from structlog.testing import capture_logs

from smsgate.service import administration
from smsgate.store import Store
from smsgate.webhooks import Resolve, TargetAllowList
from smsgate.webhooks.targets import IpAddress

from ..dispatch.dispatch_support import Clock, Tenant
from .receiver import Receiver
from .webhook_support import BACKOFF, LOOPBACK, running, secret_of, wait_for_failures, webhook_of

PUBLIC = "93.184.216.34"
NOTHING = TargetAllowList()


class Resolver:
    """The ``resolve`` seam: answers the addresses a test sets, and counts the questions."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = addresses
        self.asked: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> Sequence[IpAddress]:
        self.asked.append((host, port))
        return [ipaddress.ip_address(address) for address in self.addresses]

    @property
    def seam(self) -> Resolve:
        return self


async def point_at(store: Store, clock: Clock, url: str) -> None:
    """Write acme's webhook row as it stands (set before this check, or rebound since)."""
    async with store.transaction() as tx:
        await tx.webhooks.configure("acme", url, clock())


class TestNotConnectedTo:
    """A host that is, or resolves to, a non-public address at send time gets no connection."""

    async def test_a_stored_loopback_url_is_refused_without_the_allow_list(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"))
        await point_at(store, clock, receiver.url("acme"))
        await acme.accept(store)

        with capture_logs() as logs:
            async with running(store, clock, targets=NOTHING):
                webhook = await wait_for_failures(store, 1)

        assert endpoint.posts == []
        assert endpoint.forged == 0
        assert webhook.last_error.startswith("target_refused: ")
        assert "loopback address (127.0.0.1)" in webhook.last_error
        assert webhook.next_attempt_at == clock() + BACKOFF.delay(1)
        [failed] = [log for log in logs if log["event"] == "webhook_failed"]
        assert (failed["error"], failed["reason"]) == ("target_refused", "loopback")
        assert not any(receiver.base_url in repr(log) for log in logs)

    @pytest.mark.parametrize(
        ("at_send_time", "reason"),
        [
            pytest.param(("127.0.0.1",), "loopback", id="rebound-to-loopback"),
            pytest.param((PUBLIC, "10.0.0.5"), "private", id="one-private-among-public"),
            pytest.param(("169.254.169.254",), "link_local", id="metadata-service"),
        ],
    )
    async def test_a_name_that_resolves_elsewhere_at_send_time(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant,
        at_send_time: tuple[str, ...], reason: str,
    ) -> None:  # fmt: skip
        endpoint = receiver.add("acme", secret_of("acme"))
        port = urlsplit(receiver.base_url).port
        url = f"https://hooks.acme.test:{port}/hooks/acme"
        await administration.configure_webhook(
            store, "acme", url, at=clock(), resolve=Resolver(PUBLIC)
        )
        await acme.accept(store)
        resolver = Resolver(*at_send_time)

        with capture_logs() as logs:
            async with running(store, clock, targets=NOTHING, resolve=resolver.seam):
                webhook = await wait_for_failures(store, 1)

        assert endpoint.posts == []
        assert resolver.asked == [("hooks.acme.test", port)]
        assert f"{reason.replace('_', '-')} address" in webhook.last_error
        [failed] = [log for log in logs if log["event"] == "webhook_failed"]
        assert (failed["error"], failed["reason"]) == ("target_refused", reason)


class TestPinned:
    """The post goes to the checked address: the name is resolved once, kept as the Host."""

    async def test_the_checked_address_receives_the_post(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"))
        port = urlsplit(receiver.base_url).port
        await point_at(store, clock, f"http://receiver.test:{port}/hooks/acme")
        await acme.accept(store)
        resolver = Resolver("127.0.0.1")

        async with running(store, clock, targets=LOOPBACK, resolve=resolver.seam):
            [post] = await endpoint.wait_for_posts(1)

        assert post.headers["Host"] == f"receiver.test:{port}"
        assert resolver.asked == [("receiver.test", port)]
        assert (await webhook_of(store, "acme")).failures == 0

    async def test_an_unreachable_address_falls_back_to_the_next_checked_one(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant
    ) -> None:
        endpoint = receiver.add("acme", secret_of("acme"))
        port = urlsplit(receiver.base_url).port
        await point_at(store, clock, f"http://receiver.test:{port}/hooks/acme")
        await acme.accept(store)
        resolver = Resolver("127.0.0.2", "127.0.0.1")  # nothing listens on the first
        loopback = TargetAllowList(networks=(ipaddress.ip_network("127.0.0.0/8"),))

        async with running(store, clock, targets=loopback, resolve=resolver.seam):
            await endpoint.wait_for_events(1)

        assert len(endpoint.posts) == 1
        assert resolver.asked == [("receiver.test", port)]
        assert (await webhook_of(store, "acme")).failures == 0


def certificate(folder: Path, name: str) -> tuple[Path, Path]:
    """A self-signed certificate for ``name`` and its key, made by ``openssl``."""
    cert, key = folder / f"{name}.pem", folder / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
class TestTls:
    """Over https the pinned post still verifies the certificate against the URL's name."""

    @pytest.mark.parametrize(
        ("served", "delivered"),
        [
            pytest.param("hooks.acme.test", True, id="certificate-of-the-name"),
            pytest.param("other.test", False, id="certificate-of-another-name"),
        ],
    )
    async def test_the_name_is_verified_while_the_address_is_pinned(
        self, store: Store, clock: Clock, acme: Tenant, tmp_path: Path, served: str,
        delivered: bool,
    ) -> None:  # fmt: skip
        cert, key = certificate(tmp_path, served)
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(cert, key)
        receiver = Receiver(clock, tls)
        await receiver.start()
        try:
            endpoint = receiver.add("acme", secret_of("acme"))
            port = urlsplit(receiver.base_url).port
            await point_at(store, clock, f"https://hooks.acme.test:{port}/hooks/acme")
            await acme.accept(store)
            trusted = ssl.create_default_context(cafile=str(cert))
            async with (
                httpx.AsyncClient(verify=trusted) as client,
                running(store, clock, resolve=Resolver("127.0.0.1").seam, client=client),
            ):
                if delivered:
                    [post] = await endpoint.wait_for_posts(1)
                else:
                    webhook = await wait_for_failures(store, 1)
        finally:
            await receiver.stop()
        if delivered:
            assert post.headers["Host"] == f"hooks.acme.test:{port}"
        else:
            assert endpoint.posts == []
            assert webhook.last_error.startswith("ConnectError")
            assert "certificate" in webhook.last_error.lower()


class TestRedirects:
    """A 3xx is a failed delivery, retried later; its Location is never visited."""

    @pytest.mark.parametrize("status", [302, 307])
    async def test_a_redirect_is_not_followed_even_by_a_client_that_would(
        self, store: Store, clock: Clock, receiver: Receiver, acme: Tenant, status: int
    ) -> None:
        elsewhere = receiver.add("bravo", secret_of("acme"))  # would accept acme's posts
        endpoint = receiver.add("acme", secret_of("acme"), [status], redirect=receiver.url("bravo"))
        await administration.configure_webhook(
            store, "acme", receiver.url("acme"), at=clock(), targets=LOOPBACK
        )
        await acme.accept(store)

        async with (
            httpx.AsyncClient(follow_redirects=True) as client,
            running(store, clock, client=client),
        ):
            webhook = await wait_for_failures(store, 1)

        assert len(endpoint.posts) == 1
        assert (elsewhere.posts, elsewhere.forged) == ([], 0)
        assert webhook.last_error == f"HTTP {status}"
        assert webhook.next_attempt_at == clock() + BACKOFF.delay(1)
