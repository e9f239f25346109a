"""Sweeps: seed ranges and comma lists, the combinations they make, and what tells the runs of a
sweep apart; every refusal is one sentence naming the bad item and the field it is about."""

from __future__ import annotations

import pytest

from cosmos_tui.errors import UsageError
from cosmos_tui.sweeps import (
    MAX_RUNS,
    clashes,
    combinations,
    labels,
    overrides_for,
    parse_assignment,
    parse_axes,
    parse_values,
    size,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1-4", [1, 2, 3, 4]),
        ("1,5,9", [1, 5, 9]),
        ("1-3,9", [1, 2, 3, 9]),
        (" 7 ", [7]),
        ("3 - 5", [3, 4, 5]),
        ("1-3,2-4", [1, 2, 3, 4]),  # duplicates dropped, first order kept
        ("9,1", [9, 1]),
        ("4294967295", [4294967295]),
    ],
)
def test_seed_lists(text: str, expected: list[int]) -> None:
    assert parse_values("seed", text) == expected


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "no seed value given"),
        ("1,,2", "has an empty item"),
        ("x", 'seed "x" is not an integer'),
        ("1.5", 'seed "1.5" is not an integer'),
        ("-1", 'seed "-1" is not an integer'),
        ("1_000", 'seed "1_000" is not an integer'),
        ("5-1", "the seed range 5-1 runs backwards; write it 1-5"),
        ("1-20000", "gives more than 10,000 values"),
        ("0-4294967295", "gives more than 10,000 values"),
        ("4294967296", "seed = 4294967296 is not allowed; use an integer from 0 to 4294967295"),
        ("9" * 40, "is not an integer"),
    ],
)
def test_bad_seed_lists(text: str, words: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_values("seed", text)
    assert words in str(caught.value)
    assert caught.value.field == "seed"
    assert str(caught.value).count(". ") == 0 and str(caught.value).endswith(".")


def test_many_small_items_cannot_exceed_the_limit() -> None:
    with pytest.raises(UsageError, match="more than 10,000 values"):
        parse_values("seed", ",".join(["1-5000"] * 3))


def test_number_lists() -> None:
    assert parse_values("guidance", "3,5,7") == [3.0, 5.0, 7.0]
    assert parse_values("vis", "0.2, .5,1e-1") == [0.2, 0.5, 0.1]
    assert parse_values("steps", "10,20") == [10, 20]  # the --steps flag's name
    assert parse_values("blur_strength", "low,high") == ["low", "high"]


@pytest.mark.parametrize(
    ("name", "text", "words", "field"),
    [
        ("guidance", "3,abc", 'guidance "abc" is not a number', "guidance"),
        ("guidance", "nan", 'guidance "nan" is not a number', "guidance"),
        ("guidance", "200", "guidance = 200.0 is not allowed; use a number from 0 to 100", "guidance"),
        ("vis", "0.2-0.5", 'vis "0.2-0.5" is not a number', "vis"),
        ("num_steps", "0", "num_steps = 0 is not allowed", "num_steps"),
        ("blur_strength", "low,huge", 'use one of "very_low"', "blur_strength"),
        ("prompt", "a,b", '"prompt" cannot be swept; use one of num_steps, guidance', "sweep"),
        ("negative_prompt", "a", '"negative_prompt" cannot be swept', "sweep"),
    ],
)
def test_bad_values_name_the_item(name: str, text: str, words: str, field: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_values(name, text)
    assert words in str(caught.value)
    assert caught.value.field == field


def test_assignments() -> None:
    assert parse_assignment("guidance=3,5,7") == ("guidance", "3,5,7")
    assert parse_assignment("Steps = 10") == ("num_steps", " 10")
    with pytest.raises(UsageError, match=r'a sweep is KEY=VALUES such as guidance=3,5,7 .*not "guidance"'):
        parse_assignment("guidance")
    with pytest.raises(UsageError, match='"bogus" cannot be swept'):
        parse_assignment("bogus=1,2")


def test_axes_combinations_and_size() -> None:
    axes = parse_axes({"seed": "1-2", "vis": "0.2,0.5", "guidance": [3, 5, 7]})
    assert list(axes) == ["guidance", "vis", "seed"]  # the seed varies fastest
    assert size(axes) == 12
    combos = combinations(axes)
    assert len(combos) == 12
    assert combos[:3] == [
        {"guidance": 3.0, "vis": 0.2, "seed": 1},
        {"guidance": 3.0, "vis": 0.2, "seed": 2},
        {"guidance": 3.0, "vis": 0.5, "seed": 1},
    ]
    assert size({}) == 1 and combinations({}) == [{}]


def test_size_is_counted_without_listing_the_combinations() -> None:
    axes = {"seed": range(MAX_RUNS), "guidance": list(range(50)), "num_steps": list(range(1, 51))}
    assert size(axes) == MAX_RUNS * 2500


def test_axes_refuse_a_key_twice() -> None:
    with pytest.raises(UsageError, match="seed is swept twice") as caught:
        parse_axes({"seed": "1", "seeds": "2"})
    assert caught.value.field == "seed"


def test_overrides_for_a_combination() -> None:
    base = {"weights": {"vis": 0.1, "edge": 0.9, "depth": 0, "seg": 0}, "num_steps": 20}
    merged = overrides_for(base, {"vis": 0.5, "seed": 3})
    assert merged == {"weights": {"vis": 0.5, "edge": 0.9, "depth": 0, "seg": 0}, "num_steps": 20, "seed": 3}
    assert base["weights"]["vis"] == 0.1  # not changed in place
    assert overrides_for({}, {"guidance": 5.0}) == {"guidance": 5.0}


def test_clashes() -> None:
    assert clashes({"seed": 4}, ["seed"]) == "seed"
    assert clashes({"seed": None, "guidance": 3}, ["seed"]) is None
    assert clashes({"weights": {"vis": 0.3}}, ["vis"]) is None  # the sweep varies one weight of them


def test_labels_name_what_differs() -> None:
    def config(seed: int, guidance: float, vis: float) -> dict[str, object]:
        return {
            "seed": seed,
            "guidance": guidance,
            "num_steps": 35,
            "weights": {"vis": vis, "edge": 0.25, "depth": 0.25, "seg": 0.25},
        }

    found = labels(
        {
            "rs_1": config(1, 3.0, 0.2),
            "rs_2": config(2, 3.0, 0.5),
            "rs_3": config(1, 7.5, 0.2),
        }
    )
    assert found == {
        "rs_1": "guidance=3 vis=0.2 seed=1",
        "rs_2": "guidance=3 vis=0.5 seed=2",
        "rs_3": "guidance=7.5 vis=0.2 seed=1",
    }
    assert labels({"rs_1": config(1, 3.0, 0.2), "rs_2": config(1, 3.0, 0.2)}) == {"rs_1": "", "rs_2": ""}
