from lbenroll.smartproxies import MAX_ROUNDS, QUIET_ROUNDS, until_quiet


def test_rounds_go_on_until_enough_quiet_ones_in_a_row():
    found = iter([1, 0, 0, 2, 0, 0, 0, 0, 5])
    assert until_quiet(lambda: next(found)) == 8  # a new find restarts the quiet count
    assert QUIET_ROUNDS == 4


def test_rounds_are_bounded_when_something_new_turns_up_every_time():
    calls = []
    assert until_quiet(lambda: calls.append(1) or 1) == MAX_ROUNDS == len(calls) == 32
    assert until_quiet(lambda: 1, quiet_rounds=2, max_rounds=3) == 3
    assert until_quiet(lambda: 0, quiet_rounds=2) == 2
