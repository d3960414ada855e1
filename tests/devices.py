"""Builders shared by the device tests: an owner, a device with its token, a sensor catalogue."""

from __future__ import annotations

from geoseries.auth.keys import issue_device_token, issue_key
from geoseries.errors import NotFound
from geoseries.model import Device, DeviceSpec, User
from geoseries.store import Store

DATASET = "devices"
SENSORS = (
    (55, "temp", "Temperature", "ºC"),
    (56, "hum", "Humidity", "%"),
    (87, "pm25", "PM 2.5", "ug/m3"),
    (10, "bat", "Battery", "%"),
)
"""(id, key, name, unit): ids as Smart Citizen firmware sends them."""


def organization(store: Store, name: str) -> int:
    """The id of the organization `name`, created when missing."""
    try:
        return store.get_organization(name).id
    except NotFound:
        issued = issue_key()
        return store.create_organization(
            name, api_key_hash=issued.digest, key_prefix=issued.prefix
        ).id


def owner(store: Store, email: str = "ann@acme.example", org: str = "acme", **kw: bool) -> User:
    return store.find_user(email) or store.create_user(
        email,
        organization_id=organization(store, org),
        password_hash=None,
        permissions=[],
        is_admin=kw.get("admin", False),
    )


def device(store: Store, user: User, name: str = "kit", **kw: object) -> tuple[Device, str]:
    """A new device of `user` and its token."""
    issued = issue_device_token()
    spec = DeviceSpec(name, user.id, **kw)  # type: ignore[arg-type]
    created = store.create_device(
        spec, dataset=DATASET, token_digest=issued.digest, token_prefix=issued.prefix
    )
    return created, issued.secret


def catalogue(store: Store) -> None:
    for sensor_id, key, name, unit in SENSORS:
        store.create_sensor(
            sensor_id, name=name, description=f"{name} sensor", default_key=key, unit=unit
        )
