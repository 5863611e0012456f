"""Sign-in sessions on the three services, SQLite and PostgreSQL: refresh tokens rotated
with reuse detection, revoked when the account is disabled or its password changes; failed
sign-ins (and only those) limited, the count shared by replicas through the database."""

from __future__ import annotations

from typing import Any

import pytest
from services_support import Service, create_user, in_process, login, query

from servicekit.security import TokenService


def _sign_in(service: Service, name: str, password: str) -> dict[str, Any]:
    response = service.client.post("/api/auth/login", json={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return dict(response.json())


def _refresh(service: Service, token: str) -> int:
    return service.client.post("/api/auth/refresh", json={"refresh_token": token}).status_code


def test_a_refresh_token_is_used_once_and_its_reuse_revokes_the_family(service: Service) -> None:
    app = service.app
    name, password, _ = create_user(service.client, app, service.admin, app.roles[-1])
    first = _sign_in(service, name, password)
    other_session = _sign_in(service, name, password)
    rotated = service.client.post(
        "/api/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert rotated.status_code == 200
    second = rotated.json()
    assert second["refresh_token"] != first["refresh_token"]
    third = service.client.post(
        "/api/auth/refresh", json={"refresh_token": second["refresh_token"]}
    ).json()
    # The first token again: a copy is in use. 401, and its whole family is revoked — the
    # newest token of the line too —, while another login's tokens keep working.
    assert _refresh(service, first["refresh_token"]) == 401
    assert _refresh(service, third["refresh_token"]) == 401
    assert _refresh(service, other_session["refresh_token"]) == 200


def test_two_refreshes_with_one_token_at_once_leave_one_winner_at_most(service: Service) -> None:
    app = service.app
    name, password, _ = create_user(service.client, app, service.admin, app.roles[-1])
    token = _sign_in(service, name, password)["refresh_token"]
    body = {"refresh_token": token}
    answers = service.client.many([("POST", "/api/auth/refresh", {"json": body})] * 4)
    winners = [a for a in answers if a.status_code == 200]
    assert len(winners) <= 1 and all(a.status_code in (200, 401) for a in answers)
    for winner in winners:  # the family was revoked by the losers' reuse
        assert _refresh(service, winner.json()["refresh_token"]) == 401


def test_disabling_a_user_revokes_their_refresh_tokens(service: Service) -> None:
    app = service.app
    name, password, user_id = create_user(service.client, app, service.admin, app.roles[-1])
    token = _sign_in(service, name, password)["refresh_token"]
    disabled = service.client.post(f"/api/users/{user_id}/disable", headers=service.admin)
    assert disabled.status_code == 200
    assert _refresh(service, token) == 401
    live = query(
        service,
        "SELECT token_id FROM {refresh_tokens} WHERE user_id = :id AND revoked_at IS NULL",
        id=user_id,
    )
    assert live == []
    if app.name == "sap":  # activated again: the old token stays revoked
        activated = service.client.post(f"/api/users/{user_id}/activate", headers=service.admin)
        assert activated.status_code == 200
        assert _refresh(service, token) == 401


def test_changing_ones_password_revokes_ones_refresh_tokens(service: Service) -> None:
    app = service.app
    name, password, _ = create_user(service.client, app, service.admin, app.roles[-1])
    tokens = _sign_in(service, name, password)
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    new = f"{password}-changed"
    changed = service.client.post(
        "/api/auth/password",
        json={"current_password": password, "new_password": new},
        headers=headers,
    )
    assert changed.status_code == 200, changed.text
    assert _refresh(service, tokens["refresh_token"]) == 401
    login(service.client, name, new)


@pytest.mark.parametrize("app_under_test", ["sap"], indirect=True)
def test_sap_an_admin_setting_a_password_revokes_the_users_refresh_tokens(
    service: Service,
) -> None:
    name, password, user_id = create_user(
        service.client, service.app, service.admin, "Store_Manager"
    )
    token = _sign_in(service, name, password)["refresh_token"]
    reset = service.client.put(
        f"/api/users/{user_id}/password",
        json={"password": f"{password}-set", "must_change_password": False},
        headers=service.admin,
    )
    assert reset.status_code == 200
    assert _refresh(service, token) == 401


def test_a_refresh_token_unknown_to_the_database_is_refused(service: Service) -> None:
    """A token signed with the right key but never handed out (or from before the tokens were
    recorded) does not refresh."""
    tokens = TokenService(service.credentials.jwt_secret, service.app.name, 15, 720)
    user_id = service.user_ids[service.app.admin_role]
    forged = tokens.issue(
        str(user_id), service.app.admin_login, [service.app.admin_role], "refresh"
    )
    assert _refresh(service, forged) == 401


def test_failed_sign_ins_are_limited_successes_are_not_and_replicas_share_the_count(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = service.app
    query(service, "DELETE FROM {login_failures}")
    monkeypatch.setenv(app.url_env, service.url.render_as_string(hide_password=False))
    settings = service.credentials.settings(app, login_rate_limit="3/minute")
    right = {"username": app.admin_login, "password": service.credentials.admin_password}
    wrong = {"username": app.admin_login, "password": "wrong-one"}
    with in_process(app.create_app(settings)) as one, in_process(app.create_app(settings)) as two:
        # Signing in correctly, many times: never limited.
        assert [one.post("/api/auth/login", json=right).status_code for _ in range(5)] == [200] * 5
        # Three failures spread over the two replicas reach the limit of both.
        codes = [
            replica.post("/api/auth/login", json=wrong).status_code
            for replica in (one, two, one, two, one)
        ]
        assert codes == [401, 401, 401, 429, 429]
        limited = two.post("/api/auth/login", json=right)
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "60"
    query(service, "DELETE FROM {login_failures}")  # the module's other tests sign in too


def test_a_refresh_reads_the_account_again_roles_included(service: Service) -> None:
    """Roles travel in the access token; a refresh issues them as the account has them now."""
    app = service.app
    name, password, user_id = create_user(service.client, app, service.admin, app.roles[-1])
    token = _sign_in(service, name, password)["refresh_token"]
    promoted = app.roles[1]
    if app.name == "sap":
        query(
            service,
            "UPDATE {user_roles} SET role = :role WHERE user_id = :id",
            role=promoted,
            id=user_id,
        )
    else:
        query(service, "UPDATE {users} SET role = :role WHERE id = :id", role=promoted, id=user_id)
    refreshed = service.client.post("/api/auth/refresh", json={"refresh_token": token})
    assert refreshed.status_code == 200
    headers = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
    assert service.client.get("/api/auth/me", headers=headers).json()["roles"] == [promoted]
