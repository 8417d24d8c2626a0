"""Shared assertions for a checker module's wrong-answer set: (checker name, attempt, hint or None)."""


def assert_rejected_with_hint(checkers, name, wrong, hint):
    """The attempt fails; with the hint for its mistake, or with no hint where none fits."""
    result = checkers[name].run(wrong)
    assert result.status == "fail", result.text
    if hint is None:
        assert result.hint is None, f"a hint where none fits: {result.hint}"
    else:
        assert result.hint is not None and hint in result.hint, result.text


def assert_each_hint_fires_only_for_its_own_mistake(checkers, wrong_set):
    """No two different mistakes of one checker are answered by the same hint."""
    seen = {}
    for name, wrong, hint in wrong_set:
        if hint is None:
            continue
        got = checkers[name].run(wrong).hint
        seen.setdefault((name, got), set()).add(hint)
    shared = {k: v for k, v in seen.items() if len(v) > 1}
    assert not shared, shared
