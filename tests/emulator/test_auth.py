"""Authentication through real HTTP: every §1.4 error, in Notify's order."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
import requests

from govuk_notify_emulator import DEFAULT_SERVICE_ID, NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import call, errors, raw_token, split_key, token

GENERAL = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
CLOCK = "Error: Your system clock must be accurate to within 30 seconds"


def get_list(emulator: NotifyEmulator, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(emulator.base_url + "/v2/notifications", headers=headers, timeout=5)


def test_missing_header_is_401(notify_emulator: NotifyEmulator) -> None:
    resp = get_list(notify_emulator, None)
    assert resp.status_code == 401
    assert errors(resp) == [("AuthError", "Unauthorized: authentication token must be provided")]
    assert "WWW-Authenticate" not in resp.headers


def test_scheme_other_than_bearer_is_401(notify_emulator: NotifyEmulator) -> None:
    resp = get_list(notify_emulator, "Basic " + token(notify_emulator.api_key))
    assert resp.status_code == 401
    assert errors(resp) == [
        ("AuthError", "Unauthorized: authentication bearer scheme must be used")
    ]


def test_lower_case_bearer_scheme_is_accepted(notify_emulator: NotifyEmulator) -> None:
    assert get_list(notify_emulator, "bearer " + token(notify_emulator.api_key)).status_code == 200


@pytest.mark.parametrize("bad", ["not-a-jwt", "a.b.c", "", "..."])
def test_undecodable_token_is_403_general(notify_emulator: NotifyEmulator, bad: str) -> None:
    resp = get_list(notify_emulator, "Bearer " + bad)
    assert resp.status_code == 403
    assert errors(resp) == [("AuthError", GENERAL)]


def test_token_without_iss(notify_emulator: NotifyEmulator) -> None:
    _, secret = split_key(notify_emulator.api_key)
    resp = get_list(notify_emulator, "Bearer " + jwt.encode({"iat": int(time.time())}, secret))
    assert errors(resp) == [("AuthError", "Invalid token: iss field not provided")]


def test_iss_not_a_uuid(notify_emulator: NotifyEmulator) -> None:
    bad = jwt.encode({"iss": "nope", "iat": int(time.time())}, "x" * 36)
    assert errors(get_list(notify_emulator, "Bearer " + bad)) == [
        ("AuthError", "Invalid token: service id is not the right data type")
    ]


def test_unknown_service(notify_emulator: NotifyEmulator) -> None:
    bad = jwt.encode({"iss": str(uuid.uuid4()), "iat": int(time.time())}, "x" * 36)
    assert errors(get_list(notify_emulator, "Bearer " + bad)) == [
        ("AuthError", "Invalid token: service not found")
    ]


@pytest.mark.parametrize("offset", [-31 - 5, 31 + 5])
def test_iat_outside_30_seconds_is_clock_error(
    notify_emulator: NotifyEmulator, offset: int
) -> None:
    t = token(notify_emulator.api_key, iat=int(time.time()) + offset)
    resp = get_list(notify_emulator, "Bearer " + t)
    assert resp.status_code == 403
    assert errors(resp) == [("AuthError", CLOCK)]


@pytest.mark.parametrize("offset", [-25, 25])
def test_iat_within_30_seconds_is_accepted(notify_emulator: NotifyEmulator, offset: int) -> None:
    t = token(notify_emulator.api_key, iat=int(time.time()) + offset)
    assert get_list(notify_emulator, "Bearer " + t).status_code == 200


def test_algorithm_other_than_hs256(notify_emulator: NotifyEmulator) -> None:
    t = token(notify_emulator.api_key, alg="HS512")
    assert errors(get_list(notify_emulator, "Bearer " + t)) == [
        ("AuthError", "Invalid token: algorithm used is not HS256")
    ]


def test_wrong_secret_is_api_key_not_found(notify_emulator: NotifyEmulator) -> None:
    t = jwt.encode({"iss": DEFAULT_SERVICE_ID, "iat": int(time.time())}, str(uuid.uuid4()))
    assert errors(get_list(notify_emulator, "Bearer " + t)) == [
        ("AuthError", "Invalid token: API key not found")
    ]


def test_token_without_iat_is_api_key_not_found(notify_emulator: NotifyEmulator) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    t = jwt.encode({"iss": service_id}, secret)
    assert errors(get_list(notify_emulator, "Bearer " + t)) == [
        ("AuthError", "Invalid token: API key not found")
    ]


def test_audience_claim_is_rejected(notify_emulator: NotifyEmulator) -> None:
    t = token(notify_emulator.api_key, aud="someone")
    assert errors(get_list(notify_emulator, "Bearer " + t)) == [("AuthError", GENERAL)]


def test_every_key_type_authenticates(notify_emulator: NotifyEmulator) -> None:
    for key in notify_emulator.api_keys.values():
        assert call(notify_emulator, "GET", "/v2/notifications", key=key).status_code == 200


SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0001"
SECRET_A = "11111111-aaaa-4aaa-8aaa-000000000001"
SECRET_REVOKED = "11111111-aaaa-4aaa-8aaa-000000000002"


def _key(secret: str) -> str:
    return f"k-{SERVICE}-{secret}"


def test_revoked_key_second_key_and_inactive_service(
    notify_emulator_factory: EmulatorFactory,
) -> None:
    config = {
        "services": [
            {
                "id": SERVICE,
                "api_keys": [
                    {"name": "a", "type": "live", "secret": SECRET_A},
                    {"name": "old", "type": "live", "secret": SECRET_REVOKED, "revoked": True},
                ],
            },
            {"id": "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0002", "api_keys": []},
            {
                "id": "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0003",
                "active": False,
                "api_keys": [{"name": "x", "type": "test", "secret": SECRET_A}],
            },
        ]
    }
    emulator = notify_emulator_factory(config=config)
    assert call(emulator, "GET", "/v2/notifications", key=_key(SECRET_A)).status_code == 200
    assert errors(call(emulator, "GET", "/v2/notifications", key=_key(SECRET_REVOKED))) == [
        ("AuthError", "Invalid token: API key revoked")
    ]
    no_keys = f"k-5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0002-{SECRET_A}"
    assert errors(call(emulator, "GET", "/v2/notifications", key=no_keys)) == [
        ("AuthError", "Invalid token: service has no API keys")
    ]
    inactive = f"k-5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0003-{SECRET_A}"
    assert errors(call(emulator, "GET", "/v2/notifications", key=inactive)) == [
        ("AuthError", "Invalid token: service is archived")
    ]


@pytest.mark.parametrize(
    "form",
    [
        lambda s: s.replace("-", ""),
        lambda s: "{" + s.upper() + "}",
        lambda s: "urn:uuid:" + s,
    ],
    ids=["hex", "braces-upper", "urn"],
)
def test_iss_in_any_form_python_uuid_accepts_names_the_service(
    notify_emulator: NotifyEmulator, form: Any
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    t = jwt.encode({"iss": form(service_id), "iat": int(time.time())}, secret)
    assert get_list(notify_emulator, "Bearer " + t).status_code == 200


@pytest.mark.parametrize("iss", [None, 1234, ["x"], ""])
def test_iss_present_but_not_a_uuid_string_is_the_wrong_data_type(
    notify_emulator: NotifyEmulator, iss: Any
) -> None:
    _, secret = split_key(notify_emulator.api_key)
    t = raw_token({"iss": iss, "iat": int(time.time())}, secret)
    assert errors(get_list(notify_emulator, "Bearer " + t)) == [
        ("AuthError", "Invalid token: service id is not the right data type")
    ]
