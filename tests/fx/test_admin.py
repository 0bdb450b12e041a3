"""Exchange rates in the Django admin: a list with filters, nothing to add, change or delete."""

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client

from fx.models import FxRate

pytestmark = pytest.mark.django_db


def test_the_admin_lists_and_filters_rates_and_changes_none(client: Client) -> None:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    october = date(2026, 10, 1)
    eur = FxRate.objects.create(date=october, currency="EUR", rate=Decimal("1.0832"), recorded_by="t")
    FxRate.objects.create(date=october, currency="GBP", rate=Decimal("1.27"), recorded_by="t")
    listed = client.get("/admin/fx/fxrate/", {"currency": "EUR"})
    assert listed.status_code == 200
    assert b"1.0832" in listed.content and b"1.2700" not in listed.content
    assert client.get("/admin/fx/fxrate/", {"date__year": "2026", "source": "api"}).status_code == 200
    assert client.get("/admin/fx/fxrate/add/").status_code == 403
    detail = client.get(f"/admin/fx/fxrate/{eur.pk}/change/")
    assert detail.status_code == 200 and b'name="_save"' not in detail.content  # read only
    client.post(f"/admin/fx/fxrate/{eur.pk}/change/", {"rate": "2"})
    assert client.get(f"/admin/fx/fxrate/{eur.pk}/delete/").status_code == 403
    eur.refresh_from_db()
    assert eur.rate == Decimal("1.0832")
