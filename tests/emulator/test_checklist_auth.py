"""notify-api.md §10 item 1: authentication, each §1.4 answer with its exact body.

Tokens are crafted with PyJWT; every request goes over real HTTP.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import jwt
import pytest
import requests
from notifications_python_client.authentication import decode_jwt_token
from notifications_python_client.errors import (
    TokenAlgorithmError,
    TokenDecodeError,
    TokenError,
    TokenExpiredError,
)

from govuk_notify_emulator import DEFAULT_SERVICE_ID, TEMPLATE_PLAIN, NotifyEmulator
from govuk_notify_emulator.pytest_plugin import EmulatorFactory

from .helpers import split_key

GENERAL = (
    "Invalid token: make sure your API token matches the example at "
    "https://docs.notifications.service.gov.uk/rest-api.html#authorisation-header"
)
CLOCK = "Error: Your system clock must be accurate to within 30 seconds"

SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0a01"
LIVE_SECRET = "11111111-aaaa-4aaa-8aaa-0000000000a1"
REVOKED_SECRET = "11111111-aaaa-4aaa-8aaa-0000000000a2"
NO_KEYS_SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0a02"
ARCHIVED_SERVICE = "5b0e5d0a-1d57-4c55-9bd4-8d9a8f7f0a03"
ARCHIVED_SECRET = "11111111-aaaa-4aaa-8aaa-0000000000a3"


def service(id_: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "templates": [
            {"id": TEMPLATE_PLAIN, "name": "Plain", "type": "email", "subject": "S", "body": "B"}
        ],
        **fields,
    }


CONFIG = {
    "services": [
        service(
            SERVICE,
            rate_limit=3,
            api_keys=[
                {"name": "live", "type": "live", "secret": LIVE_SECRET},
                {"name": "old", "type": "live", "secret": REVOKED_SECRET, "revoked": True},
            ],
        ),
        service(NO_KEYS_SERVICE, api_keys=[]),
        service(
            ARCHIVED_SERVICE,
            active=False,
            api_keys=[{"name": "live", "type": "live", "secret": ARCHIVED_SECRET}],
        ),
    ]
}


@pytest.fixture
def services(notify_emulator_factory: EmulatorFactory) -> NotifyEmulator:
    """An emulator with a revoked key, a service without keys and an archived service."""
    return notify_emulator_factory(config=CONFIG)


def now() -> int:
    return int(time.time())


def signed(secret: str, alg: str = "HS256", **claims: Any) -> str:
    return jwt.encode(claims, secret, algorithm=alg)


def get(emulator: NotifyEmulator, authorization: str | None) -> requests.Response:
    headers = {} if authorization is None else {"Authorization": authorization}
    return requests.get(emulator.base_url + "/v2/notifications", headers=headers, timeout=5)


def post(emulator: NotifyEmulator, authorization: str, body: bytes = b"{") -> requests.Response:
    return requests.post(
        emulator.base_url + "/v2/notifications/email",
        data=body,
        headers={"Authorization": authorization},
        timeout=5,
    )


def auth_error(status: int, message: str) -> dict[str, Any]:
    return {"errors": [{"error": "AuthError", "message": message}], "status_code": status}


def test_missing_authorization_header_is_401(notify_emulator: NotifyEmulator) -> None:
    resp = get(notify_emulator, None)
    assert resp.status_code == 401
    assert resp.json() == auth_error(401, "Unauthorized: authentication token must be provided")
    assert "WWW-Authenticate" not in resp.headers


def test_empty_authorization_header_is_401(notify_emulator: NotifyEmulator) -> None:
    resp = get(notify_emulator, "")
    assert resp.status_code == 401
    assert resp.json() == auth_error(401, "Unauthorized: authentication token must be provided")


@pytest.mark.parametrize("scheme", ["Basic", "Token", "Bearer:", "JWT"])
def test_wrong_scheme_is_401(notify_emulator: NotifyEmulator, scheme: str) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, f"{scheme} {signed(secret, iss=service_id, iat=now())}")
    assert resp.status_code == 401
    assert resp.json() == auth_error(401, "Unauthorized: authentication bearer scheme must be used")
    assert "WWW-Authenticate" not in resp.headers


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_bearer_scheme_in_any_case_is_accepted(
    notify_emulator: NotifyEmulator, scheme: str
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    token = signed(secret, iss=service_id, iat=now())
    assert get(notify_emulator, f"{scheme} {token}").status_code == 200
    body = f'{{"email_address":"a@example.com","template_id":"{TEMPLATE_PLAIN}"}}'.encode()
    assert post(notify_emulator, f"{scheme} {token}", body).status_code == 201


@pytest.mark.parametrize("token", ["not-a-jwt", "a.b.c", "eyJhbGciOiJIUzI1NiJ9"])
def test_token_that_does_not_decode_is_403_general(
    notify_emulator: NotifyEmulator, token: str
) -> None:
    resp = get(notify_emulator, "Bearer " + token)
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, GENERAL)


def test_token_without_iss_is_403(notify_emulator: NotifyEmulator) -> None:
    _, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: iss field not provided")


@pytest.mark.parametrize("iss", ["not-a-uuid", "12345", DEFAULT_SERVICE_ID + "0"])
def test_iss_that_is_not_a_uuid_is_403(notify_emulator: NotifyEmulator, iss: str) -> None:
    _, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iss=iss, iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: service id is not the right data type")


def test_unknown_service_is_403(notify_emulator: NotifyEmulator) -> None:
    _, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iss=str(uuid.uuid4()), iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: service not found")


def test_service_without_api_keys_is_403(services: NotifyEmulator) -> None:
    resp = get(services, "Bearer " + signed(LIVE_SECRET, iss=NO_KEYS_SERVICE, iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: service has no API keys")


def test_archived_service_is_403(services: NotifyEmulator) -> None:
    resp = get(services, "Bearer " + signed(ARCHIVED_SECRET, iss=ARCHIVED_SERVICE, iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: service is archived")


@pytest.mark.parametrize("skew", [-3600, -45, -33, 33, 45, 3600])
def test_iat_more_than_30_seconds_off_either_way_is_403_clock_error(
    notify_emulator: NotifyEmulator, skew: int
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iss=service_id, iat=now() + skew))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, CLOCK)


@pytest.mark.parametrize("skew", [-25, -5, 5, 25])
def test_iat_within_30_seconds_either_way_is_accepted(
    notify_emulator: NotifyEmulator, skew: int
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iss=service_id, iat=now() + skew))
    assert resp.status_code == 200


def test_clock_error_is_returned_even_for_a_revoked_key(services: NotifyEmulator) -> None:
    # §1.3 step 5: the clock error is raised as soon as a key's signature matches.
    token = signed(REVOKED_SECRET, iss=SERVICE, iat=now() - 120)
    assert get(services, "Bearer " + token).json() == auth_error(403, CLOCK)


def test_alg_none_is_403_not_hs256(notify_emulator: NotifyEmulator) -> None:
    service_id, _ = split_key(notify_emulator.api_key)
    token = jwt.encode({"iss": service_id, "iat": now()}, None, algorithm="none")
    resp = get(notify_emulator, "Bearer " + token)
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: algorithm used is not HS256")


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_alg_hs512_signed_with_the_right_secret_is_403_not_hs256(
    notify_emulator: NotifyEmulator,
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, "HS512", iss=service_id, iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: algorithm used is not HS256")


def test_missing_iat_is_api_key_not_found(notify_emulator: NotifyEmulator) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iss=service_id))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: API key not found")


def test_secret_of_no_key_is_api_key_not_found(notify_emulator: NotifyEmulator) -> None:
    resp = get(
        notify_emulator,
        "Bearer " + signed(str(uuid.uuid4()), iss=DEFAULT_SERVICE_ID, iat=now()),
    )
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: API key not found")


def test_revoked_key_is_403_revoked(services: NotifyEmulator) -> None:
    resp = get(services, "Bearer " + signed(REVOKED_SECRET, iss=SERVICE, iat=now()))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: API key revoked")
    # the service's other key still works
    assert get(services, "Bearer " + signed(LIVE_SECRET, iss=SERVICE, iat=now())).status_code == 200


@pytest.mark.parametrize(
    "extra", [{"aud": "notify"}, {"exp": 1_000_000_000}], ids=["aud", "exp-in-the-past"]
)
def test_other_jwt_errors_are_403_general(
    notify_emulator: NotifyEmulator, extra: dict[str, Any]
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + signed(secret, iss=service_id, iat=now(), **extra))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, GENERAL)


def test_authentication_runs_before_rate_limiting_and_parsing(services: NotifyEmulator) -> None:
    good = "Bearer " + signed(LIVE_SECRET, iss=SERVICE, iat=now())
    assert post(services, good).status_code == 400  # spends the bucket's only token
    assert post(services, good).status_code == 429
    bad = "Bearer " + signed(str(uuid.uuid4()), iss=SERVICE, iat=now())
    resp = post(services, bad)
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: API key not found")
    assert get(services, None).status_code == 401


def test_every_v2_route_is_authenticated(notify_emulator: NotifyEmulator) -> None:
    for method, path in [
        ("GET", "/v2/notifications"),
        ("GET", f"/v2/notifications/{uuid.uuid4()}"),
        ("POST", "/v2/notifications/email"),
        ("GET", f"/v2/template/{TEMPLATE_PLAIN}"),
        ("GET", f"/v2/template/{TEMPLATE_PLAIN}/version/1"),
        ("POST", f"/v2/template/{TEMPLATE_PLAIN}/preview"),
        ("GET", "/v2/templates"),
    ]:
        resp = requests.request(method, notify_emulator.base_url + path, timeout=5)
        assert resp.status_code == 401, (method, path)
        assert resp.json() == auth_error(401, "Unauthorized: authentication token must be provided")


def raw_token(payload: dict[str, Any], secret: str) -> str:
    """An HS256 JWT of payload exactly as given (PyJWT refuses some claim types)."""

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    signing_input = b64(b'{"typ":"JWT","alg":"HS256"}') + "." + b64(json.dumps(payload).encode())
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return signing_input + "." + b64(signature)


@pytest.mark.parametrize("iat", ["abc", "", "12:00"])
def test_iat_that_is_not_a_number_is_403_clock_error(
    notify_emulator: NotifyEmulator, iat: str
) -> None:
    # PyJWT raises InvalidIssuedAtError, which the server turns into the clock error (§1.3).
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + raw_token({"iss": service_id, "iat": iat}, secret))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, CLOCK)


def test_iat_float_within_the_window_is_accepted(notify_emulator: NotifyEmulator) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    token = raw_token({"iss": service_id, "iat": time.time()}, secret)
    assert get(notify_emulator, "Bearer " + token).status_code == 200


def test_empty_iss_is_not_the_right_data_type(notify_emulator: NotifyEmulator) -> None:
    _, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + raw_token({"iss": "", "iat": now()}, secret))
    assert resp.json() == auth_error(403, "Invalid token: service id is not the right data type")


@pytest.mark.parametrize("iss", [None, 1234, ["x"]], ids=["null", "number", "list"])
def test_iss_present_but_not_a_string_is_not_the_right_data_type(
    notify_emulator: NotifyEmulator, iss: Any
) -> None:
    # Notify: uuid.UUID(iss) raises for anything but a UUID string.
    _, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer " + raw_token({"iss": iss, "iat": now()}, secret))
    assert resp.status_code == 403
    assert resp.json() == auth_error(403, "Invalid token: service id is not the right data type")


@pytest.mark.parametrize(
    "form",
    [lambda s: s.replace("-", ""), lambda s: "{" + s + "}", lambda s: "urn:uuid:" + s],
    ids=["hex", "braces", "urn"],
)
def test_iss_in_any_form_python_uuid_parses_finds_the_service(
    notify_emulator: NotifyEmulator, form: Any
) -> None:
    # Notify looks the service up by uuid.UUID(iss), not by the string.
    service_id, secret = split_key(notify_emulator.api_key)
    token = raw_token({"iss": form(service_id), "iat": now()}, secret)
    assert get(notify_emulator, "Bearer " + token).status_code == 200


def test_upper_case_iss_finds_the_service(notify_emulator: NotifyEmulator) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    token = raw_token({"iss": service_id.upper(), "iat": now()}, secret)
    assert get(notify_emulator, "Bearer " + token).status_code == 200


def test_header_typ_is_not_checked_but_alg_is_case_sensitive(
    notify_emulator: NotifyEmulator,
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    payload = {"iss": service_id, "iat": now()}
    ok = jwt.encode(payload, secret, algorithm="HS256", headers={"typ": "XYZ"})
    assert get(notify_emulator, "Bearer " + ok).status_code == 200
    header = base64.urlsafe_b64encode(b'{"alg":"hs256","typ":"JWT"}').rstrip(b"=").decode()
    rest = ok.split(".", 1)[1]
    resp = get(notify_emulator, f"Bearer {header}.{rest}")
    assert resp.json() == auth_error(403, "Invalid token: algorithm used is not HS256")


def test_token_after_two_spaces_is_403_general(notify_emulator: NotifyEmulator) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    resp = get(notify_emulator, "Bearer  " + signed(secret, iss=service_id, iat=now()))
    assert resp.json() == auth_error(403, GENERAL)


def test_bearer_without_a_token_is_401_scheme(notify_emulator: NotifyEmulator) -> None:
    resp = get(notify_emulator, "Bearer")
    assert resp.json() == auth_error(401, "Unauthorized: authentication bearer scheme must be used")


# ---- claims against the reference implementation ------------------------------------------
# Notify's auth.py runs notifications-python-client's decode_jwt_token for each key and maps
# its exceptions (§1.3): TokenExpiredError -> clock error, TokenAlgorithmError -> not HS256,
# TokenDecodeError -> try the next key (so "API key not found"), other TokenError -> general.
# The installed client and PyJWT are the oracle here.


def notify_answer(payload: dict[str, Any], secret: str) -> tuple[int, Any]:
    """The status and body Notify gives for this token, from the reference decoder."""
    token = raw_token(payload, secret)
    try:
        decode_jwt_token(token, secret)  # type: ignore[no-untyped-call]
    except TokenExpiredError:
        return 403, auth_error(403, CLOCK)
    except TokenAlgorithmError:
        return 403, auth_error(403, "Invalid token: algorithm used is not HS256")
    except TokenDecodeError:
        return 403, auth_error(403, "Invalid token: API key not found")
    except TokenError:
        return 403, auth_error(403, GENERAL)
    return 200, None


@pytest.mark.parametrize(
    "extra",
    [
        pytest.param({"nbf": "@past"}, id="nbf-past"),
        pytest.param({"nbf": "@soon"}, id="nbf-within-leeway"),
        pytest.param({"nbf": "@future"}, id="nbf-future"),
        pytest.param({"nbf": "x"}, id="nbf-string"),
        pytest.param({"nbf": None}, id="nbf-null"),
        pytest.param({"exp": "@future"}, id="exp-future"),
        pytest.param({"exp": "@recent"}, id="exp-within-leeway"),
        pytest.param({"exp": "@past"}, id="exp-past"),
        pytest.param({"exp": "x"}, id="exp-string"),
        pytest.param({"exp": None}, id="exp-null"),
        pytest.param({"aud": "notify"}, id="aud"),
        pytest.param({"sub": "someone"}, id="sub-string"),
        pytest.param({"sub": 1}, id="sub-number"),
        pytest.param({"jti": "abc"}, id="jti-string"),
        pytest.param({"jti": 1}, id="jti-number"),
        pytest.param({"iat": "abc"}, id="iat-string"),
        pytest.param({"iat": None}, id="iat-null"),
        pytest.param({"iat": "@old"}, id="iat-numeric-string-old"),
        pytest.param({"iat": "@float"}, id="iat-float"),
        pytest.param({"iat": "@past"}, id="iat-45s-ago"),
        pytest.param({"iat": "@future"}, id="iat-100s-ahead"),
        pytest.param({"extra": [1, {"a": None}]}, id="unknown-claim"),
    ],
)
def test_claims_are_judged_as_the_reference_decoder_judges_them(
    notify_emulator: NotifyEmulator, extra: dict[str, Any]
) -> None:
    service_id, secret = split_key(notify_emulator.api_key)
    when = {
        "@past": now() - 45,
        "@recent": now() - 10,
        "@soon": now() + 10,
        "@future": now() + 100,
        "@old": str(now() - 3600),  # a numeric string
        "@float": time.time(),
    }
    payload: dict[str, Any] = {"iss": service_id, "iat": now()}
    for claim, value in extra.items():
        payload[claim] = when.get(value, value) if isinstance(value, str) else value
    status, body = notify_answer(payload, secret)
    resp = get(notify_emulator, "Bearer " + raw_token(payload, secret))
    assert resp.status_code == status
    if body is not None:
        assert resp.json() == body
