"""python -m bench --rounds: the round with the median API/floor ratio is the one reported."""

from __future__ import annotations

from bench.__main__ import _median_round
from bench.load import Result


def _result(rps: float) -> Result:
    return Result("claims", requests=int(rps * 10), errors=0, seconds=10.0, p50_ms=1, p99_ms=2)


def test_the_median_ratio_round_is_kept_with_every_ratio() -> None:
    pairs = [
        (_result(500), _result(1000)),
        (_result(900), _result(1000)),
        (_result(300), _result(1000)),
    ]
    api, floor, ratios = _median_round(pairs)
    assert (api, floor) == pairs[0]  # 50 % is the median of 50, 90 and 30 %
    assert ratios == [0.5, 0.9, 0.3]


def test_an_even_count_keeps_the_lower_middle_round() -> None:
    pairs = [(_result(600), _result(1000)), (_result(400), _result(1000))]
    assert _median_round(pairs)[0] is pairs[1][0]


def test_a_floor_only_endpoint_keeps_its_first_round() -> None:
    pairs: list[tuple[Result | None, Result]] = [(None, _result(800)), (None, _result(900))]
    api, floor, ratios = _median_round(pairs)
    assert api is None and floor is pairs[0][1] and ratios == []
