"""The shared check machinery: messages in the order students fail, stdout only."""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab.checks import CheckError, NotDoneError
from cnnlab.checks import core


def test_not_done_is_both_a_check_error_and_not_implemented():
    def stub(a):
        raise NotImplementedError()
    with pytest.raises(NotDoneError) as info:
        core.call("f", stub, 1)
    assert isinstance(info.value, NotImplementedError) and isinstance(info.value, AssertionError)
    assert "replace `raise NotImplementedError()`" in str(info.value)


def test_passing_a_result_instead_of_a_function():
    with pytest.raises(CheckError, match=r"(?s)expected a function, got float.*check.f\(f\)"):
        core.call("f", 3.0)


def test_student_exception_names_the_case_and_keeps_the_traceback():
    def broken(a):
        return a[10]
    with pytest.raises(CheckError, match="the tiny case raised IndexError") as info:
        core.call("f", broken, np.zeros(3), case="the tiny case")
    assert isinstance(info.value.__context__, IndexError)


def test_modifying_the_input_is_reported():
    def in_place(a):
        a += 1
        return a
    with pytest.raises(CheckError, match="changed one of its input arrays"):
        core.call("f", in_place, np.zeros(3), case="c")


@pytest.mark.parametrize("got,fragment", [
    (None, "returned None"),
    ([1.0, 2.0], "expected a NumPy array, got list"),
    (np.zeros((3, 2)), "expected shape (2, 3)"),
    (np.zeros((2, 3), dtype=np.float32), "expected dtype float64"),
    (np.array([[0.0, 0, 0], [0, 0, np.nan]]), "NaN"),
    (np.array([[0.0, 0, 0], [0, 0, 1.0]]), "1 of 6 values differ; the first at index (1, 2)"),
])
def test_expect_array_messages_in_order(got, fragment):
    with pytest.raises(CheckError) as info:
        core.expect_array("f", got, np.zeros((2, 3)), case="c", dtype=np.float64, hint="H")
    assert fragment in str(info.value)
    assert str(info.value).startswith("f: c")


def test_expect_scalar_messages():
    with pytest.raises(CheckError, match="expected a single number"):
        core.expect_scalar("f", np.array([1.0, 2.0]), 1.0, case="c")
    with pytest.raises(CheckError, match=r"(?s)expected 456\n.*got      455.*Hint: H"):
        core.expect_scalar("f", 455, 456, case="c", hint="H")
    core.expect_scalar("f", np.float32(456.00001), 456, case="c", rtol=1e-6)


def test_loops_are_counted():
    def two(a):
        for i in a:
            for j in a:
                pass
        return [x for x in a]
    assert core.count_loops(two) == 3
    assert core.count_loops(len) is None  # a builtin: loop rules are not checked
    namespace = {}
    exec("def made_by_exec(a):\n    for i in a:\n        pass\n    return a", namespace)
    assert core.count_loops(namespace["made_by_exec"]) == 1  # from the bytecode


def test_passed_prints_to_stdout_only(capsys):
    core.passed("f", 3)
    out, err = capsys.readouterr()
    assert out == "✔ f: all 3 checks passed.\n" and err == ""
