"""`GET /api/v1/calculator` (docs/rules.md §4): public, exact, and a 400 naming every bad parameter."""

from decimal import Decimal

import pytest
from django.test import override_settings
from django.urls import path
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from payouts.views import CalculatorView

pytestmark = pytest.mark.django_db

URL = "/api/v1/calculator"
SEED_003 = {
    "model": "progressive",
    "plays": "2210000000",
    "base": "0.0087",
    "base_plays": "500000",
    "curve_plays": "50000000",
    "floor_ratio": "0.03",
    "exponent": "1.2",
}


def test_user_centric_seed_000(anon_api: APIClient) -> None:
    response = anon_api.get(
        URL, {"model": "user_centric", "price": "14.99", "listener_streams": "1000", "artist_streams": "50"}
    )
    assert response.status_code == 200
    assert response.json() == {"payout": "0.64", "per_stream": "0.0127"}


@override_settings(RIGHTS_SHARE=Decimal("0.5"))
def test_user_centric_uses_the_rights_share_setting(anon_api: APIClient) -> None:
    response = anon_api.get(
        URL, {"model": "user_centric", "price": "10", "listener_streams": "4", "artist_streams": "1"}
    )
    assert response.json() == {"payout": "1.25", "per_stream": "1.2500"}


def test_pro_rata(anon_api: APIClient) -> None:
    response = anon_api.get(URL, {"model": "pro_rata", "plays": "1000000", "rate": "0.004"})
    assert response.status_code == 200
    assert response.json() == {"payout": "4000.00", "per_stream": "0.0040"}


def test_progressive_seed_003(anon_api: APIClient) -> None:
    response = anon_api.get(URL, SEED_003)
    assert response.status_code == 200
    body = response.json()
    assert body["payout"] == "808882.50"
    assert body["crossover_plays"] == 30_893_281
    assert body["per_stream"] == "0.0004"  # 808,882.50 / 2.21 billion


def test_progressive_parameters_default_to_the_seed(anon_api: APIClient) -> None:
    response = anon_api.get(URL, {"model": "progressive", "plays": "2210000000"})
    assert response.json() == {"payout": "808882.50", "per_stream": "0.0004", "crossover_plays": 30_893_281}
    assert anon_api.get(URL, {"model": "progressive"}).status_code == 200


def test_progressive_rate_and_curve(anon_api: APIClient) -> None:
    body = anon_api.get(URL, {"model": "progressive", "plays": "0", "rate": "0.0001", "curve": "1"}).json()
    assert body["payout"] == "0.00"
    assert body["per_stream"] == "0.0087"  # no plays yet: what the first one is worth
    assert body["crossover_plays"] is None  # the floor (0.000261) never dips below 0.0001
    assert len(body["curve"]) == 50
    assert body["curve"][0] == [0, "0.00870000"]
    assert all(isinstance(plays, int) and isinstance(value, str) for plays, value in body["curve"])


def test_public_without_a_token_and_ignores_a_bad_one(anon_api: APIClient) -> None:
    anon_api.credentials(HTTP_AUTHORIZATION="Bearer not-a-token")
    assert anon_api.get(URL, {"model": "pro_rata", "plays": "1", "rate": "1"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({}, {"model"}),
        ({"model": "spotify"}, {"model"}),
        ({"model": "user_centric"}, {"price", "listener_streams", "artist_streams"}),
        (
            {"model": "user_centric", "price": "14.99", "listener_streams": "10", "artist_streams": "11"},
            {"artist_streams"},
        ),
        (
            {"model": "user_centric", "price": "-1", "listener_streams": "0", "artist_streams": "0"},
            {"price", "listener_streams"},
        ),
        ({"model": "pro_rata", "plays": "NaN", "rate": "1e999"}, {"plays", "rate"}),
        ({"model": "pro_rata", "plays": "1.5", "rate": "Infinity"}, {"plays", "rate"}),
        ({"model": "pro_rata", "plays": "-1", "rate": "0.004"}, {"plays"}),
        ({"model": "pro_rata", "plays": "9" * 30, "rate": "9" * 30}, {"plays", "rate"}),
        ({"model": "pro_rata", "plays": "1", "rate": "0." + "1" * 100}, {"rate"}),
        ({"model": "pro_rata", "plays": "1", "rate": "0.00400000001"}, {"rate"}),
        ({"model": "pro_rata", "plays": "1²", "rate": "0.004"}, {"plays"}),
        (
            {"model": "progressive", "base": "0.0087" + "0" * 10, "exponent": "1.2" + "0" * 10},
            {"base", "exponent"},
        ),
        ({"model": "progressive", "exponent": "0"}, {"exponent"}),
        ({"model": "progressive", "exponent": "10.5", "floor_ratio": "1.01"}, {"exponent", "floor_ratio"}),
        ({"model": "progressive", "base_plays": "100", "curve_plays": "100"}, {"curve_plays"}),
        ({"model": "progressive", "plays": "1e3", "base": "abc", "curve": "yes"}, {"plays", "base", "curve"}),
    ],
)
def test_bad_parameters_get_a_400_naming_each(
    anon_api: APIClient, query: dict[str, str], errors: set[str]
) -> None:
    response = anon_api.get(URL, query)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == errors
    assert all(isinstance(messages, list) and messages for messages in body.values())


def test_decimals_have_at_most_ten_places_as_written(anon_api: APIClient) -> None:
    """Checked on the digits as sent, so nothing past Decimal's precision is rounded away."""
    accepted = anon_api.get(URL, {"model": "pro_rata", "plays": "1000", "rate": "0.0040000000"})
    refused = anon_api.get(URL, {"model": "pro_rata", "plays": "1000", "rate": "0.00400000000"})

    assert accepted.status_code == 200
    assert accepted.json()["payout"] == "4.00"
    assert refused.status_code == 400
    assert "10 digits after the decimal point" in refused.json()["rate"][0]


def test_artist_streams_message(anon_api: APIClient) -> None:
    response = anon_api.get(
        URL, {"model": "user_centric", "price": "14.99", "listener_streams": "10", "artist_streams": "11"}
    )
    assert response.json() == {"artist_streams": ["Must not exceed listener_streams."]}


numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "NaN", "-0", "1e999", "0x10", "1_000", " 1", "١٢", "0.0000000001", "10"]),
    st.text(max_size=8),
)


@settings(max_examples=150, deadline=None)
@given(
    model=st.sampled_from(["user_centric", "pro_rata", "progressive"]),
    values=st.fixed_dictionaries(
        {},
        optional={
            name: numbers
            for name in [
                "price",
                "listener_streams",
                "artist_streams",
                "plays",
                "rate",
                "base",
                "base_plays",
                "curve_plays",
                "floor_ratio",
                "exponent",
                "curve",
            ]
        },
    ),
)
def test_never_a_500(model: str, values: dict[str, str]) -> None:
    response = APIClient().get(URL, {"model": model, **values})
    assert response.status_code in (200, 400)
    assert isinstance(response.json(), dict)


def test_openapi_schema_documents_the_parameters() -> None:
    generator = SchemaGenerator(patterns=[path("api/v1/calculator", CalculatorView.as_view())])
    schema = generator.get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/calculator"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"model", "price", "listener_streams", "artist_streams", "plays", "rate", "exponent"} <= names
    assert "200" in operation["responses"] and "400" in operation["responses"]
    assert schema["components"]["schemas"]["CalculatorAnswer"]["properties"]["payout"]["type"] == "string"
