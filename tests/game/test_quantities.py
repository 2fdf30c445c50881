"""ttcgames.game.quantities: one registry holding today's file keys (so no artifact changes)."""

import pytest

from ttcgames.game.quantities import (
    AUCTION,
    GAME,
    LABEL_UNCERTAINTY,
    NUMERIC_UNCERTAINTY,
    QUANTITIES,
    by_label,
    money_unit,
    quantity,
)


def test_uncertainty_keys_are_the_replicate_columns_in_order():
    assert NUMERIC_UNCERTAINTY == (
        "value",
        "price",
        "utility",
        "welfare",
        "optimal_welfare",
        "price_of_anarchy",
        "iterations",
        "auction_value",
        "auction_price",
        "auction_utility",
        "auction_welfare",
    )
    assert LABEL_UNCERTAINTY == ("equilibrium_profile", "auction_winner", "auction_runner_up")


def test_table2_rows_map_to_the_games_json_keys():
    # (label, game key, auction key): report.tables' rows before the registry
    for label, section, eq_key, auction_key in [
        ("User value", "equilibrium", "user_value", "user_value"),
        ("Price", "equilibrium", "price", "price"),
        ("Provider(s') utility", "equilibrium", "provider_utility", "utility"),
        ("Social welfare", "equilibrium", "welfare", "welfare"),
    ]:
        game, auction = by_label(label, GAME), by_label(label, AUCTION)
        assert (game.section, game.json_key, auction.section, auction.json_key) == (section, eq_key, "auction", auction_key)
        assert game.money and auction.money
    assert (quantity("optimal_welfare").section, quantity("optimal_welfare").json_key) == ("optimum", "welfare")
    assert quantity("price_of_anarchy").unit == "ratio" and by_label("Iterations to equilibrium", GAME).name == "iterations"


def test_published_auction_keys_drop_the_prefix():
    published = {q.published_key: q.name for q in QUANTITIES if q.published_key}
    assert published == {
        "winner": "auction_winner",
        "runner_up": "auction_runner_up",
        "winner_welfare": "auction_winner_welfare",
        "runner_up_welfare": "auction_runner_up_welfare",
        "value": "auction_value",
        "price": "auction_price",
        "utility": "auction_utility",
        "welfare": "auction_welfare",
    }


def test_names_are_unique_and_an_unknown_one_lists_the_known():
    assert len({q.name for q in QUANTITIES}) == len(QUANTITIES)
    with pytest.raises(KeyError, match="unknown quantity 'valeu'.*value, price"):
        quantity("valeu")


def test_derived_quantities_say_what_they_come_from():
    q = quantity("welfare_loss_pct")
    assert q.json_key is None and q.derived_from == ("welfare", "optimal_welfare")
    with pytest.raises(KeyError, match="derived"):
        q.read({}, {})


@pytest.mark.parametrize(
    "scale, text, tex",
    [
        (1, "$", "$"),
        (1000, "$ x 1e-3", r"\$ $\times 10^{-3}$"),
        (0.001, "$ x 1e3", r"\$ $\times 10^{3}$"),
        (250, "$ / 250", r"\$ / 250"),
    ],
)
def test_money_unit_in_text_and_tex(scale, text, tex):
    assert money_unit(scale) == text
    assert money_unit(scale, tex=True) == tex
