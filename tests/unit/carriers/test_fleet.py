"""The carrier fleet: adapters by account name, routes per creditor, built from settings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from smsgate.carriers import (
    CarrierAdapter,
    FakeCarrier,
    FileCarrier,
    InvalidCarrierConfig,
    Lookup,
    LookupAnswer,
    UnknownCarrier,
)
from smsgate.carriers.config import CarrierLimits, UnknownOutcomePolicy
from smsgate.carriers.fleet import CarrierFleet, FleetMember, build_fleet
from smsgate.settings import Settings

RECONCILE = CarrierLimits(unknown_outcome=UnknownOutcomePolicy.RECONCILE)


class QueryingCarrier(FakeCarrier):
    """A fake that can also answer status queries."""

    async def look_up(self, attempt_reference: str, phone: str, sent_on: datetime) -> Lookup:
        return Lookup(LookupAnswer.NOT_FOUND)


class BrokenClose(FakeCarrier):
    async def aclose(self) -> None:
        raise OSError("socket already gone")


def fleet_of(**adapters: CarrierAdapter) -> CarrierFleet:
    members = {name: FleetMember(adapter) for name, adapter in adapters.items()}
    return CarrierFleet(members, {"default": list(adapters), "acme": ["b"]})


class TestRoutes:
    """A creditor with its own route uses it; everyone else the default route."""

    def test_creditor_route_or_default(self) -> None:
        fleet = fleet_of(a=FakeCarrier(name="a"), b=FakeCarrier(name="b"))
        assert fleet.route("acme") == ["b"]
        assert fleet.route("globex") == ["a", "b"]

    def test_get_by_name(self) -> None:
        a = FakeCarrier(name="a")
        fleet = fleet_of(a=a, b=FakeCarrier(name="b"))
        assert fleet.get("a") is a
        assert fleet.get("nope") is None
        assert fleet.names() == ["a", "b"]

    def test_of_adapters_routes_them_in_order(self) -> None:
        fleet = CarrierFleet.of(FakeCarrier(name="x"), FakeCarrier(name="y"))
        assert fleet.route("anyone") == ["x", "y"]

    def test_of_refuses_two_adapters_of_one_name(self) -> None:
        with pytest.raises(InvalidCarrierConfig, match="same name"):
            CarrierFleet.of(FakeCarrier(), FakeCarrier())


class TestValidation:
    """A fleet that could not route or reconcile as configured is refused at build time."""

    @pytest.mark.parametrize(
        "routes",
        [
            pytest.param({"acme": ["a"]}, id="no-default"),
            pytest.param({"default": []}, id="empty"),
            pytest.param({"default": ["a", "ghost"]}, id="stranger"),
        ],
    )
    def test_bad_routes(self, routes: Mapping[str, list[str]]) -> None:
        with pytest.raises(InvalidCarrierConfig):
            CarrierFleet({"a": FleetMember(FakeCarrier(name="a"))}, routes)

    def test_reconcile_needs_a_status_query(self) -> None:
        with pytest.raises(InvalidCarrierConfig, match=r"'a'.*query"):
            CarrierFleet({"a": FleetMember(FakeCarrier(name="a"), RECONCILE)}, {"default": ["a"]})

    def test_reconcile_with_a_status_query(self) -> None:
        member = FleetMember(QueryingCarrier(name="a"), RECONCILE)
        fleet = CarrierFleet({"a": member}, {"default": ["a"]})
        assert fleet.member("a") == member
        assert member.reconciles


class TestClosing:
    """``aclose`` closes every adapter, even after one fails to close."""

    async def test_closes_all(self) -> None:
        a, b, c = FakeCarrier(name="a"), BrokenClose(name="b"), FakeCarrier(name="c")
        with capture_logs() as logs:
            await fleet_of(a=a, b=b, c=c).aclose()
        assert (a.closed, c.closed) == (True, True)
        assert [(e["event"], e["carrier"]) for e in logs] == [("carrier_close_failed", "b")]


class TestBuildFleet:
    """``build_fleet`` builds every configured account through the registry."""

    async def test_from_a_carriers_file(self, tmp_path: Path) -> None:
        path = tmp_path / "carriers.toml"
        path.write_text(
            f'[carriers.journal]\nkind = "file"\npath = "{tmp_path / "out.jsonl"}"\n'
            '[carriers.screen]\nkind = "console"\n'
            '[routes]\ndefault = ["journal", "screen"]\nacme = ["screen"]\n',
            encoding="utf-8",
        )
        fleet = build_fleet(Settings(carriers_file=path))
        try:
            journal = fleet.get("journal")
            assert isinstance(journal, FileCarrier)
            assert journal.name == "journal"
            assert fleet.route("acme") == ["screen"]
        finally:
            await fleet.aclose()

    def test_secrets_reach_the_factory(self, tmp_path: Path) -> None:
        path = tmp_path / "carriers.toml"
        path.write_text('[carriers.peer]\nkind = "http"\nurl = "http://127.0.0.1:1"\n')
        built: list[tuple[str, dict[str, Any]]] = []

        def build(kind: str, config: Mapping[str, Any]) -> CarrierAdapter:
            built.append((kind, dict(config)))
            return FakeCarrier(name=str(config["name"]))

        environment = {"SMSGATE_CARRIER_PEER_SECRET": "s"}
        settings = Settings(carriers_file=path, carrier_environment=environment)
        assert build_fleet(settings, build).names() == ["peer"]
        assert built == [("http", {"url": "http://127.0.0.1:1", "secret": "s", "name": "peer"})]

    async def test_legacy_settings_give_one_carrier(self, tmp_path: Path) -> None:
        fleet = build_fleet(Settings(carrier="file", carrier_file=tmp_path / "sms.jsonl"))
        try:
            assert fleet.names() == ["file"]
            assert fleet.route("acme") == ["file"]
        finally:
            await fleet.aclose()

    def test_unknown_kind(self) -> None:
        with pytest.raises(UnknownCarrier, match="nope"):
            build_fleet(Settings(carrier="nope"))
