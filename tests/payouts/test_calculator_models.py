"""`GET /api/v1/calculator?model=artist_centric|threshold` (docs/rules.md, "Calculator:
artist-centric and threshold"): hand-computed answers, agreement with the pure maths of the
runs, and a 400 naming every bad parameter."""

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from payouts.maths import artist_centric, threshold
from payouts.maths.artist_centric import allocate_artist_centric, audience_parts
from payouts.maths.threshold import allocate_threshold
from payouts.maths.user_centric import ListenerMonth

pytestmark = pytest.mark.django_db

URL = "/api/v1/calculator"


def ask(api: APIClient, **query: str) -> Any:
    response = api.get(URL, query)
    assert response.status_code == 200, response.content
    return response.json()


def decimal_text(value: Fraction) -> str:
    """An exact, terminating fraction as the decimal string a visitor would send."""
    text = str(Decimal(value.numerator) / Decimal(value.denominator))
    assert Fraction(Decimal(text)) == value, f"{value} does not terminate in {text}"
    return text


# ---------------------------------------------------------------------------- artist-centric


def test_artist_centric_professional_streams_count_double(anon_api: APIClient) -> None:
    body = ask(anon_api, model="artist_centric", plays="2000", listeners="600")
    assert body == {
        "payout": "16.00",  # 2,000 × 2 × 0.004 (the default rate)
        "per_stream": "0.0080",
        "professional": True,
        "multiplier": 2,
        "weighted_streams": "4000.0000",
        "rule": artist_centric.RULE,
    }


def test_artist_centric_the_bar_needs_both_streams_and_listeners(anon_api: APIClient) -> None:
    few_listeners = ask(anon_api, model="artist_centric", plays="2000", listeners="499")
    assert few_listeners["professional"] is False and few_listeners["multiplier"] == 1
    assert few_listeners["payout"] == "8.00"
    few_streams = ask(anon_api, model="artist_centric", plays="999", listeners="999", rate="0.01")
    assert (few_streams["professional"], few_streams["payout"], few_streams["per_stream"]) == (
        False,
        "9.99",
        "0.0100",
    )
    exactly = ask(anon_api, model="artist_centric", plays="1000", listeners="500", rate="0.01")
    assert (exactly["professional"], exactly["payout"]) == (True, "20.00")
    own_bar = ask(
        anon_api, model="artist_centric", plays="10", listeners="3", min_streams="10", min_listeners="3"
    )
    assert own_bar["professional"] is True and own_bar["weighted_streams"] == "20.0000"


def test_artist_centric_capped_plays_are_scaled(anon_api: APIClient) -> None:
    # Half the 2,000 plays from heavy listeners, scaled by a quarter on average:
    # 2,000 × (0.5 + 0.5 × 0.25) = 1,250 weighted streams; not professional (400 listeners).
    body = ask(
        anon_api,
        model="artist_centric",
        plays="2000",
        listeners="400",
        capped_share="0.5",
        cap_factor="0.25",
        rate="0.004",
    )
    assert body["weighted_streams"] == "1250.0000"
    assert (body["payout"], body["per_stream"]) == ("5.00", "0.0025")
    # Professional as well: twice that.
    pro = ask(
        anon_api, model="artist_centric", plays="2000", listeners="600", capped_share="0.5", cap_factor="0.25"
    )
    assert (pro["weighted_streams"], pro["payout"], pro["per_stream"]) == ("2500.0000", "10.00", "0.0050")


def test_artist_centric_rounds_half_even_once(anon_api: APIClient) -> None:
    # 7 × (0.5 + 0.5 × 0.3) = 4.55 weighted streams; × 0.5 = 2.275, half-even to 2.28 once
    # (not 4.55 rounded first, nor 2.275 half-up twice).
    body = ask(
        anon_api,
        model="artist_centric",
        plays="7",
        listeners="7",
        capped_share="0.5",
        cap_factor="0.3",
        rate="0.5",
    )
    assert (body["weighted_streams"], body["payout"], body["per_stream"]) == ("4.5500", "2.28", "0.3250")
    even = ask(anon_api, model="artist_centric", plays="5", listeners="1", rate="0.025")
    assert even["payout"] == "0.12"  # 0.125: half to even


def test_artist_centric_with_no_plays(anon_api: APIClient) -> None:
    body = ask(anon_api, model="artist_centric", plays="0", listeners="0", min_streams="0", min_listeners="0")
    assert body["payout"] == "0.00"
    assert body["per_stream"] == "0.0080"  # what one play would be worth: the limit, as progressive
    assert body["professional"] is True and body["weighted_streams"] == "0.0000"


def test_artist_centric_agrees_with_the_pure_maths_at_the_months_rate(anon_api: APIClient) -> None:
    """A small month through `allocate_artist_centric`; then each artist alone in the
    calculator, at rate = pool / the month's total weight, gets the same payout."""
    cap, min_streams, min_listeners = 4, 6, 2
    tracks = {"USAAA2600001": "art-a", "USAAA2600002": "art-a", "USBBB2600001": "art-b"}
    month = {
        "L1": {"USAAA2600001": 1, "USAAA2600002": 1, "USBBB2600001": 2},  # 4: at the cap, factor 1
        "L2": {"USAAA2600001": 6, "USBBB2600001": 2},  # 8: above it, factor 1/2
        "L3": {"USBBB2600001": 1},
    }
    pool = Fraction("12.60")
    allocation = allocate_artist_centric(
        pool=pool,
        plays=month,
        track_payees={isrc: [(artist, 1)] for isrc, artist in tracks.items()},
        track_artists=tracks,
        min_streams=min_streams,
        min_listeners=min_listeners,
        listener_cap=cap,
        places=2,
    )
    streams: dict[str, int] = {}
    for listener_plays in month.values():
        for isrc, count in listener_plays.items():
            streams[isrc] = streams.get(isrc, 0) + count
    audience = audience_parts(
        [ListenerMonth(listener=name, pool=Fraction(0), plays=counts) for name, counts in month.items()],
        track_artists=tracks,
        listener_cap=cap,
    )
    weights = artist_centric.track_weights(
        streams=streams,
        audience=audience,
        track_artists=tracks,
        min_streams=min_streams,
        min_listeners=min_listeners,
    )
    rate = pool / sum(weights.values())
    assert rate == Fraction("0.9")  # 12.60 over A's 10 and B's 4 weighted streams

    for artist in ("art-a", "art-b"):
        isrcs = [isrc for isrc, owner in tracks.items() if owner == artist]
        plays = sum(streams[isrc] for isrc in isrcs)
        heavy = sum(sum(audience.heavy.get(isrc, {}).values()) for isrc in isrcs)
        scaled = sum(
            (
                Fraction(cap * part, total)
                for isrc in isrcs
                for total, part in audience.heavy.get(isrc, {}).items()
            ),
            Fraction(0),
        )
        body = ask(
            anon_api,
            model="artist_centric",
            plays=str(plays),
            listeners=str(audience.artist_listeners[artist]),
            rate=decimal_text(rate),
            min_streams=str(min_streams),
            min_listeners=str(min_listeners),
            capped_share=decimal_text(Fraction(heavy, plays)),
            cap_factor=decimal_text(scaled / heavy),
        )
        assert Decimal(body["payout"]) == Decimal(allocation.payees[artist]) / 100, artist
        assert Fraction(Decimal(body["weighted_streams"])) == sum(weights[isrc] for isrc in isrcs)
        assert body["professional"] is (artist == "art-a")
    assert allocation.payees == {"art-a": 900, "art-b": 360}


# ---------------------------------------------------------------------------- threshold


def test_threshold_paid_at_the_rate(anon_api: APIClient) -> None:
    body = ask(anon_api, model="threshold", plays="300", trailing_plays="1000")
    assert body == {
        "payout": "1.20",
        "per_stream": "0.0040",
        "paid": True,
        "reason": None,
        "streams_short": 0,
        "rule": threshold.RULE,
    }


def test_threshold_below_the_bar_pays_nothing_and_says_why(anon_api: APIClient) -> None:
    body = ask(anon_api, model="threshold", plays="300", trailing_plays="999", rate="0.01")
    assert (body["payout"], body["per_stream"], body["paid"], body["streams_short"]) == (
        "0.00",
        "0.0000",
        False,
        1,
    )
    assert body["reason"] == "Fewer than 1,000 plays over the last 12 months (999): 1 more would pass."


def test_threshold_trailing_plays_default_to_this_months(anon_api: APIClient) -> None:
    assert ask(anon_api, model="threshold", plays="999")["paid"] is False
    body = ask(anon_api, model="threshold", plays="1000", rate="0.0035")
    assert (body["paid"], body["payout"], body["per_stream"]) == (True, "3.50", "0.0035")
    own_bar = ask(anon_api, model="threshold", plays="5", min_streams="5", rate="0.125")
    assert (own_bar["paid"], own_bar["payout"]) == (True, "0.62")  # 0.625, half-even


def test_threshold_with_no_plays_this_month(anon_api: APIClient) -> None:
    body = ask(anon_api, model="threshold", plays="0", trailing_plays="5000")
    assert (body["payout"], body["paid"], body["streams_short"]) == ("0.00", False, 0)
    assert body["reason"] == "No plays this month, so nothing to pay."


def test_threshold_agrees_with_the_pure_maths_at_the_months_rate(anon_api: APIClient) -> None:
    streams = {"USAAA2600001": 600, "USBBB2600001": 200, "USCCC2600001": 50}
    trailing = {"USAAA2600001": 600, "USBBB2600001": 1200, "USCCC2600001": 900}
    pool = Fraction(10)
    allocation = allocate_threshold(
        pool=pool,
        streams=streams,
        trailing_streams=trailing,
        track_payees={isrc: [(isrc, 1)] for isrc in streams},
        places=2,
    )
    passing = threshold.passing_tracks(streams=streams, trailing_streams=trailing)
    rate = pool / sum(streams[isrc] for isrc in passing)  # 10 / 200: the failing tracks left
    for isrc, plays in streams.items():
        body = ask(
            anon_api,
            model="threshold",
            plays=str(plays),
            trailing_plays=str(trailing[isrc]),
            rate=decimal_text(rate),
        )
        assert Decimal(body["payout"]) == Decimal(allocation.payees.get(isrc, 0)) / 100, isrc
        assert body["paid"] is (isrc in passing)
    assert allocation.payees == {"USBBB2600001": 1000}


# ---------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"model": "artist_centric"}, {"plays", "listeners"}),
        ({"model": "artist_centric", "plays": "-1", "listeners": "1.5"}, {"plays", "listeners"}),
        ({"model": "artist_centric", "plays": "10", "listeners": "11"}, {"listeners"}),
        ({"model": "artist_centric", "plays": "1²", "listeners": "١٢"}, {"plays", "listeners"}),
        ({"model": "artist_centric", "plays": "1e3", "listeners": "0x10"}, {"plays", "listeners"}),
        ({"model": "artist_centric", "plays": "9" * 30, "listeners": "1"}, {"plays"}),
        ({"model": "artist_centric", "plays": "10", "listeners": "1", "rate": "1001"}, {"rate"}),
        ({"model": "artist_centric", "plays": "10", "listeners": "1", "rate": "-0.004"}, {"rate"}),
        ({"model": "artist_centric", "plays": "10", "listeners": "1", "rate": "0.00400000001"}, {"rate"}),
        ({"model": "artist_centric", "plays": "10", "listeners": "1", "rate": "NaN"}, {"rate"}),
        (
            {
                "model": "artist_centric",
                "plays": "10",
                "listeners": "1",
                "capped_share": "1.01",
                "cap_factor": "-0.1",
            },
            {"capped_share", "cap_factor"},
        ),
        (
            {
                "model": "artist_centric",
                "plays": "10",
                "listeners": "1",
                "capped_share": "Infinity",
                "cap_factor": "2",
            },
            {"capped_share", "cap_factor"},
        ),
        (
            {"model": "artist_centric", "plays": "10", "listeners": "1", "capped_share": "0." + "1" * 11},
            {"capped_share"},
        ),
        (
            {
                "model": "artist_centric",
                "plays": "10",
                "listeners": "1",
                "min_streams": "-1",
                "min_listeners": "a",
            },
            {"min_streams", "min_listeners"},
        ),
        ({"model": "threshold"}, {"plays"}),
        ({"model": "threshold", "plays": "-5", "trailing_plays": "x"}, {"plays", "trailing_plays"}),
        ({"model": "threshold", "plays": "10", "trailing_plays": "9"}, {"trailing_plays"}),
        ({"model": "threshold", "plays": "10", "rate": "1e999"}, {"rate"}),
        ({"model": "threshold", "plays": "10", "min_streams": "1.0"}, {"min_streams"}),
        ({"model": "threshold", "plays": "١٠", "trailing_plays": "٢٠"}, {"plays", "trailing_plays"}),
        ({"model": "threshold", "plays": "10", "rate": "0." + "0" * 40 + "1"}, {"rate"}),
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


def test_the_order_messages(anon_api: APIClient) -> None:
    listeners = anon_api.get(URL, {"model": "artist_centric", "plays": "10", "listeners": "11"})
    assert listeners.json() == {
        "listeners": ["Must not exceed plays: every listener streamed at least once."]
    }
    trailing = anon_api.get(URL, {"model": "threshold", "plays": "10", "trailing_plays": "9"})
    assert trailing.json() == {"trailing_plays": ["Must be at least plays: the 12 months include this one."]}


def test_the_v1_models_answer_as_before(anon_api: APIClient) -> None:
    assert ask(anon_api, model="pro_rata", plays="1000000", rate="0.004") == {
        "payout": "4000.00",
        "per_stream": "0.0040",
    }
    assert ask(
        anon_api, model="user_centric", price="14.99", listener_streams="1000", artist_streams="50"
    ) == {
        "payout": "0.64",
        "per_stream": "0.0127",
    }
    unknown = anon_api.get(URL, {"model": "deezer"})
    assert unknown.status_code == 400
    assert "artist_centric" in unknown.json()["model"][0] and "threshold" in unknown.json()["model"][0]


numbers = st.one_of(
    st.integers(-(10**20), 10**20).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "NaN", "-0", "1e999", "0x10", "1_000", " 1", "١٢", "0.0000000001", "1", "0.5"]),
    st.text(max_size=8),
)


@settings(max_examples=100, deadline=None)
@given(
    model=st.sampled_from(["artist_centric", "threshold"]),
    values=st.fixed_dictionaries(
        {},
        optional={
            name: numbers
            for name in [
                "plays",
                "listeners",
                "rate",
                "min_streams",
                "min_listeners",
                "capped_share",
                "cap_factor",
                "trailing_plays",
            ]
        },
    ),
)
def test_never_a_500(model: str, values: dict[str, str]) -> None:
    response = APIClient().get(URL, {"model": model, **values})
    assert response.status_code in (200, 400)
    assert isinstance(response.json(), dict)
