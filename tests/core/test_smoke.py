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
