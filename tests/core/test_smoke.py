import pytest

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_status(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["status"] == "ok"


def test_admin_sees_every_team_of_the_group(org, admin):
    from xietong.org.models import Team

    assert Team.objects.visible_to(admin).count() == 5


def test_production_settings_pass_check_deploy(tmp_path):
    import os
    import secrets
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DJANGO_SETTINGS_MODULE": "xietong.config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(60),
        "ALLOWED_HOSTS": "crm.example.com",
        "XIETONG_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env.update(DJANGO_SETTINGS_MODULE="xietong.config.settings.production", XIETONG_VAR_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=root, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_responses_carry_security_headers_and_a_request_id(client):
    response = client.get("/healthz", headers={"X-Request-ID": "abc-12345678"})
    assert response["X-Request-ID"] == "abc-12345678"
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    generated = client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})["X-Request-ID"]
    assert len(generated) == 32 and generated != "bad id with spaces"


def test_healthz_answers_503_when_the_database_fails(client, monkeypatch):
    from django.db import connection
    from django.db.utils import OperationalError

    def broken_cursor(*args, **kwargs):
        raise OperationalError("down")

    monkeypatch.setattr(connection, "cursor", broken_cursor)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": {"status": "error", "error": "OperationalError"}}


def test_passwords_are_hashed_with_argon2_outside_tests():
    from xietong.config.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_every_business_model_has_a_visibility_entry_point():
    from django.core import checks

    assert [m for m in checks.run_checks() if m.id == "xietong.E001"] == []


def test_client_address_behind_trusted_proxies(settings, rf):
    from xietong.core.middleware import client_ip

    request = rf.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="127.0.0.1")
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request) == "127.0.0.1"  # no proxy trusted: the header is the client's word
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request) == "203.0.113.7"  # nginx appended what it saw; the spoofed part is ignored
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request) == "6.6.6.6"
    settings.TRUSTED_PROXY_COUNT = 3
    assert client_ip(request) == "127.0.0.1"  # fewer entries than proxies: fall back


def test_login_lockout_counts_per_client_behind_a_proxy(settings, client, org):
    from tests.support.factories import UserFactory

    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="victim", primary_team=org["east"])
    attacker = {"HTTP_X_FORWARDED_FOR": "203.0.113.7", "REMOTE_ADDR": "127.0.0.1"}
    for _ in range(2):
        client.post("/accounts/login/", {"username": "victim", "password": "wrong"}, **attacker)
    locked = client.post("/accounts/login/", {"username": "victim", "password": "wrong"}, **attacker)
    assert locked.status_code == 429
    other = client.post(
        "/accounts/login/",
        {"username": "victim", "password": "wrong"},
        HTTP_X_FORWARDED_FOR="198.51.100.2",
        REMOTE_ADDR="127.0.0.1",
    )
    assert other.status_code == 200  # another client behind the same proxy is not locked out
