"""Logging in and staying logged in: passwords, sessions and CSRF, bearer and personal tokens,
throttling, TOTP, the admin 2FA rule, deactivation and translated errors."""

from __future__ import annotations

import time
from http.cookies import SimpleCookie

import pyotp
import pytest
import sqlalchemy as sa

from hub.domain import OrganizationKind, Role
from hub.models import User
from tests import factories

pytestmark = pytest.mark.anyio

LOGIN = "/api/v1/auth/login"
ME = "/api/v1/auth/me"
TOKENS = "/api/v1/auth/tokens"
PROBLEM = "application/problem+json"


async def _login(client, email: str, password: str = factories.PASSWORD, **extra):
    return await client.post(LOGIN, json={"email": email, "password": password, **extra})


def _set_cookies(response) -> dict[str, SimpleCookie]:
    cookies = {}
    for header in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        for name in parsed:
            cookies[name] = parsed
    return cookies


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wrong_code(secret: str) -> str:
    """A six-digit code that is not valid in any window the server accepts."""
    totp, now = pyotp.TOTP(secret), time.time()
    valid = {totp.at(now + drift) for drift in (-60, -30, 0, 30, 60)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in valid)


@pytest.fixture
async def agent(hub) -> User:
    return await factories.user(hub, Role.AGENT, email="agent@example.test")


# --- password login ----------------------------------------------------------------------------


async def test_login_answers_a_bearer_token_and_sets_the_session_cookies(client, agent) -> None:
    response = await _login(client, "Agent@Example.test")  # e-mail case does not matter
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"token", "token_type", "expires_in", "csrf_token", "user"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 12 * 3600
    assert body["user"]["id"] == str(agent.id) and body["user"]["role"] == "agent"
    assert "password" not in response.text and "totp_secret" not in response.text

    cookies = _set_cookies(response)
    session = cookies["hub_session"]["hub_session"]
    assert session["httponly"] is True
    assert session["path"] == "/"
    assert session["samesite"].lower() in {"lax", "strict"}
    assert session.value and session.value != body["token"]
    csrf = cookies["hub_csrf"]["hub_csrf"]
    assert not csrf["httponly"], "pages must be able to read the CSRF token"
    assert csrf.value == body["csrf_token"]


async def test_wrong_password_and_unknown_email_get_the_same_answer(client, agent) -> None:
    wrong_password = await _login(client, agent.email, "not the password")
    unknown_email = await _login(client, "nobody@example.test", "not the password")
    for response in (wrong_password, unknown_email):
        assert response.status_code == 401
        assert response.headers["content-type"].startswith(PROBLEM)
        assert "hub_session" not in _set_cookies(response)
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["code"] == "login_failed"


async def test_the_bearer_token_authenticates(client, agent) -> None:
    token = (await _login(client, agent.email)).json()["token"]
    client.cookies.clear()
    response = await client.get(ME, headers=_bearer(token))
    assert response.status_code == 200
    assert response.json()["email"] == agent.email


@pytest.mark.parametrize("token", ["nonsense", "hub_pat_nonsense", "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"])
async def test_a_bad_bearer_token_is_refused(client, token: str) -> None:
    response = await client.get(ME, headers=_bearer(token))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


async def test_a_token_signed_with_another_key_is_refused(client, agent) -> None:
    from web.auth import bearer

    forged = bearer.issue("another-secret-key-that-is-long-enough-000000", agent.id, hours=1)
    assert (await client.get(ME, headers=_bearer(forged))).status_code == 401


async def test_no_credentials_is_401(client) -> None:
    response = await client.get(ME)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "not_authenticated"


# --- cookie sessions and CSRF ------------------------------------------------------------------


async def test_the_session_cookie_authenticates_reads(client, agent) -> None:
    await _login(client, agent.email)
    response = await client.get(ME)
    assert response.status_code == 200
    assert response.json()["id"] == str(agent.id)


async def test_a_cookie_authenticated_write_needs_the_csrf_token(client, agent) -> None:
    csrf = (await _login(client, agent.email)).json()["csrf_token"]

    missing = await client.post(TOKENS, json={"name": "ci"})
    assert missing.status_code == 403
    assert missing.json()["code"] == "csrf_failed"
    wrong = await client.post(TOKENS, json={"name": "ci"}, headers={"X-CSRF-Token": csrf[:-2] + "xx"})
    assert wrong.status_code == 403 and wrong.json()["code"] == "csrf_failed"

    right = await client.post(TOKENS, json={"name": "ci"}, headers={"X-CSRF-Token": csrf})
    assert right.status_code == 201, right.text


async def test_the_csrf_token_of_another_session_does_not_pass(client, hub, agent) -> None:
    colleague = await factories.user(hub, Role.AGENT)
    other_csrf = (await _login(client, colleague.email)).json()["csrf_token"]
    client.cookies.clear()
    await _login(client, agent.email)
    response = await client.post(TOKENS, json={"name": "ci"}, headers={"X-CSRF-Token": other_csrf})
    assert response.status_code == 403


async def test_bearer_requests_need_no_csrf_token(client, agent) -> None:
    token = (await _login(client, agent.email)).json()["token"]
    client.cookies.clear()
    response = await client.post(TOKENS, json={"name": "ci"}, headers=_bearer(token))
    assert response.status_code == 201


async def test_logout_ends_the_session_on_the_server(client, agent) -> None:
    login = await _login(client, agent.email)
    session_id = client.cookies["hub_session"]
    csrf = login.json()["csrf_token"]
    assert (await client.post("/api/v1/auth/logout")).status_code == 403  # CSRF applies to logout too

    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 204
    cleared = _set_cookies(response)
    assert cleared["hub_session"]["hub_session"]["max-age"] == "0"
    assert cleared["hub_csrf"]["hub_csrf"]["max-age"] == "0"
    # Replaying the old cookie is not enough: the session is gone server-side.
    client.cookies.clear()
    client.cookies.set("hub_session", session_id)
    assert (await client.get(ME)).status_code == 401


# --- throttling --------------------------------------------------------------------------------


async def test_failed_logins_are_throttled_even_with_the_right_password(make_client, hub, agent) -> None:
    colleague = await factories.user(hub, Role.AGENT)
    async with make_client(HUB_LOGIN_ATTEMPTS_PER_15MIN="3") as client:
        for _ in range(3):
            assert (await _login(client, agent.email, "guess")).status_code == 401
        blocked = await _login(client, agent.email)
        assert blocked.status_code == 429
        assert blocked.json()["code"] == "too_many_attempts"
        assert blocked.headers["content-type"].startswith(PROBLEM)
        retry_after = int(blocked.headers["retry-after"])
        assert 0 < retry_after <= 15 * 60
        assert str(retry_after) in blocked.json()["detail"]
        # Another account from the same address still gets in.
        assert (await _login(client, colleague.email)).status_code == 200
        assert (await _login(client, agent.email)).status_code == 429


async def test_unknown_addresses_count_as_failures_too(make_client, agent) -> None:
    async with make_client(HUB_LOGIN_ATTEMPTS_PER_15MIN="2") as client:
        for _ in range(2):
            assert (await _login(client, "ghost@example.test", "x")).status_code == 401
        assert (await _login(client, "ghost@example.test", "x")).status_code == 429
        assert (await _login(client, "GHOST@example.test ", "x")).status_code == 429


async def test_a_success_resets_the_count(make_client, agent) -> None:
    async with make_client(HUB_LOGIN_ATTEMPTS_PER_15MIN="3") as client:
        for _ in range(2):
            await _login(client, agent.email, "guess")
        assert (await _login(client, agent.email)).status_code == 200
        for _ in range(2):
            assert (await _login(client, agent.email, "guess")).status_code == 401
        assert (await _login(client, agent.email)).status_code == 200


# --- TOTP --------------------------------------------------------------------------------------


async def _enrol(client, headers: dict[str, str]) -> str:
    setup = await client.post("/api/v1/auth/2fa/setup", headers=headers)
    assert setup.status_code == 200, setup.text
    secret, uri = setup.json()["secret"], setup.json()["otpauth_uri"]
    assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri and "issuer=hub" in uri
    wrong = await client.post("/api/v1/auth/2fa/enable", json={"code": _wrong_code(secret)}, headers=headers)
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    # The previous period's code (still accepted for a slow typist), so the current one stays unspent.
    enabled = await client.post(
        "/api/v1/auth/2fa/enable", json={"code": pyotp.TOTP(secret).at(time.time() - 30)}, headers=headers
    )
    assert enabled.status_code == 204, enabled.text
    return secret


async def test_totp_enrolment_then_login_needs_the_code(client, agent) -> None:
    headers = await factories.login(client, agent)
    me = await client.get(ME, headers=headers)
    assert me.json()["totp_enabled"] is False
    secret = await _enrol(client, headers)
    assert (await client.get(ME, headers=headers)).json()["totp_enabled"] is True

    without = await _login(client, agent.email)
    assert without.status_code == 401
    assert without.json()["otp_required"] is True
    assert without.json()["code"] == "otp_required"
    assert "hub_session" not in _set_cookies(without)

    wrong = await _login(client, agent.email, otp=_wrong_code(secret))
    assert wrong.status_code == 401 and wrong.json()["code"] == "otp_invalid"
    wrong_password = await _login(client, agent.email, "guess", otp=pyotp.TOTP(secret).now())
    assert wrong_password.status_code == 401 and wrong_password.json()["code"] == "login_failed"

    right = await _login(client, agent.email, otp=pyotp.TOTP(secret).now())
    assert right.status_code == 200
    assert right.json()["user"]["totp_enabled"] is True


@pytest.mark.parametrize("typed", ["１２３４５６", "ÃÎÙUUP", "12 34 56", "", "💡"])
async def test_a_code_of_any_text_is_a_wrong_code_never_an_error(client, agent, typed: str) -> None:
    """Found by fuzzing: comparing non-ASCII text in constant time raised, and answered 500."""
    headers = await factories.login(client, agent)
    secret = await _enrol(client, headers)
    disabled = await client.post("/api/v1/auth/2fa/disable", json={"code": typed}, headers=headers)
    assert disabled.status_code in (400, 401, 422), disabled.text
    login = await _login(client, agent.email, otp=typed)
    assert login.status_code == 401, login.text
    assert (await _login(client, agent.email, otp=pyotp.TOTP(secret).now())).status_code == 200


async def test_a_totp_code_logs_in_once(client, agent) -> None:
    """RFC 6238 §5.2: a code seen by someone else must not open a second session."""
    secret = await _enrol(client, await factories.login(client, agent))
    totp = pyotp.TOTP(secret)
    code = totp.now()
    assert (await _login(client, agent.email, otp=code)).status_code == 200
    replayed = await _login(client, agent.email, otp=code)
    assert replayed.status_code == 401 and replayed.json()["code"] == "otp_invalid"
    # An older code is spent too once a newer one was used; the next period's code still works.
    stale = await _login(client, agent.email, otp=totp.at(time.time() - 30))
    assert stale.status_code == 401
    assert (await _login(client, agent.email, otp=totp.at(time.time() + 30))).status_code == 200


async def test_a_password_alone_does_not_reveal_whether_2fa_is_on(client, agent) -> None:
    """otp_required is only said to someone who knows the password."""
    headers = await factories.login(client, agent)
    await _enrol(client, headers)
    response = await _login(client, agent.email, "guess")
    assert response.status_code == 401 and "otp_required" not in response.json()


async def test_admins_must_enrol_2fa_before_anything_else(make_client, hub) -> None:
    admin = await factories.user(hub, Role.ADMIN)
    agent = await factories.user(hub, Role.AGENT)
    async with make_client(HUB_REQUIRE_ADMIN_2FA="true") as client:
        headers = await factories.login(client, admin)
        refused = await client.get("/api/v1/tickets", headers=headers)
        assert refused.status_code == 403
        assert refused.json()["code"] == "two_factor_required"
        # Minting a token would be a way around the rule, so it is refused too.
        minted = await client.post(TOKENS, json={"name": "x"}, headers=headers)
        assert minted.status_code == 403 and minted.json()["code"] == "two_factor_required"
        assert (await client.get(ME, headers=headers)).status_code == 200
        secret = await _enrol(client, headers)
        assert (await client.get("/api/v1/tickets", headers=headers)).status_code == 200
        assert (await _login(client, admin.email, otp=pyotp.TOTP(secret).now())).status_code == 200
        # The rule is for administrators only.
        agent_headers = await factories.login(client, agent)
        assert (await client.get("/api/v1/tickets", headers=agent_headers)).status_code == 200


async def test_without_the_rule_admins_need_no_2fa(client, hub) -> None:
    admin = await factories.user(hub, Role.ADMIN)
    headers = await factories.login(client, admin)
    assert (await client.get("/api/v1/tickets", headers=headers)).status_code == 200


# --- personal API tokens -----------------------------------------------------------------------


async def test_a_personal_token_acts_as_its_user_until_revoked(client, agent) -> None:
    headers = await factories.login(client, agent)
    created = await client.post(TOKENS, json={"name": "CRM sync"}, headers=headers)
    assert created.status_code == 201
    token, token_id = created.json()["token"], created.json()["id"]
    assert token.startswith("hub_pat_") and created.json()["name"] == "CRM sync"

    me = await client.get(ME, headers=_bearer(token))
    assert me.status_code == 200 and me.json()["id"] == str(agent.id)
    assert (await client.get("/api/v1/tickets", headers=_bearer(token))).status_code == 200

    revoked = await client.delete(f"{TOKENS}/{token_id}", headers=headers)
    assert revoked.status_code == 204
    assert (await client.get(ME, headers=_bearer(token))).status_code == 401


async def test_nobody_revokes_another_users_token(client, hub, agent) -> None:
    colleague = await factories.user(hub, Role.AGENT)
    mine = await factories.login(client, agent)
    token = (await client.post(TOKENS, json={"name": "mine"}, headers=mine)).json()
    theirs = await factories.login(client, colleague)
    assert (await client.delete(f"{TOKENS}/{token['id']}", headers=theirs)).status_code == 404
    assert (await client.get(ME, headers=_bearer(token["token"]))).status_code == 200


async def test_partners_cannot_mint_tokens(client, hub) -> None:
    org = await factories.organization(hub, kind=OrganizationKind.PARTNER)
    partner = await factories.user(hub, Role.PARTNER, organization_id=org.id)
    headers = await factories.login(client, partner)
    assert (await client.post(TOKENS, json={"name": "x"}, headers=headers)).status_code == 403


# --- deactivation ------------------------------------------------------------------------------


async def test_a_deactivated_user_is_locked_out_everywhere(client, hub, agent) -> None:
    login = await _login(client, agent.email)
    jwt, csrf = login.json()["token"], login.json()["csrf_token"]
    session_id = client.cookies["hub_session"]
    pat = (await client.post(TOKENS, json={"name": "ci"}, headers={"X-CSRF-Token": csrf})).json()["token"]
    assert (await client.get(ME)).status_code == 200

    async with hub.uow() as uow:
        await uow.session.execute(sa.update(User).where(User.id == agent.id).values(is_active=False))
        await uow.commit()

    client.cookies.clear()
    assert (await client.get(ME, headers=_bearer(jwt))).status_code == 401
    assert (await client.get(ME, headers=_bearer(pat))).status_code == 401
    client.cookies.set("hub_session", session_id)
    assert (await client.get(ME)).status_code == 401
    client.cookies.clear()
    relogin = await _login(client, agent.email)
    assert relogin.status_code == 401 and relogin.json()["code"] == "login_failed"


# --- translated errors -------------------------------------------------------------------------


async def test_errors_speak_the_readers_language(client, agent) -> None:
    zh = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}
    wrong = await client.post(LOGIN, json={"email": agent.email, "password": "guess"}, headers=zh)
    assert wrong.json()["detail"] == "邮箱或密码错误。"
    assert wrong.json()["title"] == "未登录或凭据无效"
    anonymous = await client.get(ME, headers=zh)
    assert anonymous.json()["detail"] == "请先登录。"

    english = await client.post(LOGIN, json={"email": agent.email, "password": "guess"})
    assert english.json()["detail"] == "Wrong e-mail or password."
    assert english.json()["title"] == "Not authenticated"
    en_first = await client.get(ME, headers={"Accept-Language": "en-US,zh-CN;q=0.5"})
    assert en_first.json()["detail"] == "Please log in."

    await _login(client, agent.email)
    csrf = await client.post(TOKENS, json={"name": "x"}, headers=zh)
    assert csrf.status_code == 403
    assert "CSRF" in csrf.json()["detail"] and "刷新" in csrf.json()["detail"]
