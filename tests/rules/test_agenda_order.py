"""The rule checker judges order by what happened where it has happened, by position elsewhere."""

from hypothesis import given
from hypothesis import strategies as st

from appliance.rules.agenda import Item, comes_before, held_items_moved, order_warnings, proposed_order


def codes(items):
    return [(w.code, w.item, w.other, w.held) for w in order_warnings(items)]


def test_amendment_after_its_bill_by_position_warns_until_moved():
    bill, amendment = Item(1, 1, "bill"), Item(2, 2, "amendment", amends=1)
    assert codes([bill, amendment]) == [("amendment_after_bill", 2, 1, False)]
    assert codes([Item(1, 2, "bill"), Item(2, 1, "amendment", amends=1)]) == []


def test_amendment_voted_first_raises_nothing_whatever_its_position():
    # The amendment was added after the bill (so it sits below it) but the chair took it first.
    assert codes([Item(1, 1, "bill"), Item(2, 2, "amendment", amends=1, held_at=100.0)]) == []
    assert codes([Item(1, 1, "bill", held_at=200.0), Item(2, 2, "amendment", amends=1, held_at=100.0)]) == []


def test_bill_voted_before_its_amendment_is_a_fact_and_says_so():
    assert codes([Item(1, 2, "bill", held_at=100.0), Item(2, 1, "amendment", amends=1)]) == [("amendment_after_bill", 2, 1, True)]
    assert codes([Item(1, 2, "bill", held_at=100.0), Item(2, 1, "amendment", amends=1, held_at=200.0)]) == [
        ("amendment_after_bill", 2, 1, True)]


def test_regulation_and_removal_follow_the_same_judgement():
    other, reg = Item(1, 1, "bill"), Item(2, 2, "regulation")
    assert codes([other, reg]) == [("regulation_after_other", 2, 1, False)]
    assert codes([other, Item(2, 2, "regulation", held_at=5.0)]) == []
    appoint, remove = Item(1, 1, "appointment", post="主任", action="appoint"), Item(2, 2, "appointment", post="主任", action="remove")
    assert codes([appoint, remove]) == [("appoint_before_remove", 1, 2, False)]
    assert codes([appoint, Item(2, 2, "appointment", post="主任", action="remove", held_at=1.0)]) == []
    assert codes([Item(1, 1, "appointment", post="主任", action="appoint", held_at=1.0), remove]) == [("appoint_before_remove", 1, 2, True)]


def test_proposed_order_and_held_items():
    assert proposed_order([1, 2, 3, 4], 4, 1) == [4, 1, 2, 3]
    assert proposed_order([1, 2, 3, 4], 1, 4) == [2, 3, 4, 1]
    assert proposed_order([1, 2, 3, 4], 2, 2) == [1, 2, 3, 4]
    assert held_items_moved([1, 2, 3], [1, 3, 2], {1}) == []
    assert held_items_moved([1, 2, 3], [3, 1, 2], {1}) == [1]


items_st = st.lists(st.tuples(st.integers(0, 3), st.one_of(st.none(), st.floats(0, 10, allow_nan=False))), min_size=2, max_size=6)


@given(items_st)
def test_comes_before_is_a_strict_order(specs):
    items = [Item(n + 1, pos * 10 + n, "bill", held_at=h) for n, (pos, h) in enumerate(specs)]
    for a in items:
        assert not comes_before(a, a)
        for b in items:
            if a is not b and comes_before(a, b):
                assert not comes_before(b, a)


@given(st.permutations(list(range(1, 7))), st.integers(1, 6), st.integers(1, 6))
def test_a_move_keeps_every_item_once(order, item, position):
    new = proposed_order(list(order), item, position)
    assert sorted(new) == sorted(order) and new.index(item) == position - 1
