"""Bad input: one warning per kind and the point skipped (default), or an error naming the
argument (strict). Nothing already logged is harmed either way."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import ringlog
from ringlog import Task
from ringlog.errors import LoggingError, LoggingTypeError, LoggingValueError, LoggingWarning, RunFinishedError

BAD_CLEARML = [
    (("loss", "s", "abc", 1), "value", TypeError),
    (("loss", "s", None, 1), "value", TypeError),
    (("loss", "s", [1.0, 2.0], 1), "value", TypeError),
    (("", "s", 1.0, 1), "title", ValueError),
    (("loss", "  ", 1.0, 1), "series", ValueError),
    ((3, "s", 1.0, 1), "title", TypeError),
    ((["l"], "s", 1.0, 1), "title", TypeError),
    (("loss", "s", 1.0, 1.5), "iteration", TypeError),
    (("loss", "s", 1.0, "7"), "iteration", TypeError),
    (("loss", "s", 1.0, 2**70), "iteration", ValueError),
]


def read(root, task_id, title, series=None):
    from ringlog.store import Store

    s = Store(root).task(task_id).scalar(title, series)
    return s.step.tolist(), s.value.tolist()


@pytest.mark.parametrize("args, argument, base", BAD_CLEARML)
def test_strict_report_scalar_raises_naming_the_argument(store_root, fast, args, argument, base):
    task = Task.init(project_name="b", task_name="strict", dir=store_root, settings=fast, strict=True)
    lg = task.get_logger()
    lg.report_scalar("loss", "s", 0.5, 0)
    with pytest.raises(LoggingError, match=argument) as info:
        lg.report_scalar(*args)
    assert isinstance(info.value, base)
    assert "given" in str(info.value)
    lg.report_scalar("loss", "s", 0.25, 2)
    task.close()
    assert read(store_root, task.id, "loss", "s") == ([0, 2], [0.5, 0.25])


def test_lenient_warns_once_per_kind_and_skips(store_root, fast):
    task = Task.init(project_name="b", task_name="lenient", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar("loss", "s", 0.5, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for args, _, _ in BAD_CLEARML:
            lg.report_scalar(*args)
        for args, _, _ in BAD_CLEARML:  # the same kinds again: no new warnings
            lg.report_scalar(*args)
    messages = [str(w.message) for w in caught if issubclass(w.category, LoggingWarning)]
    # kinds: value not a number, empty title, empty series, title not a str, iteration not an int,
    # iteration too large -- the repeats of a kind (e.g. None after "abc") stay silent
    assert len(messages) == 6
    assert all("skipped" in m for m in messages)
    assert sorted(m.split(":")[0] for m in messages) == ["iteration", "iteration", "series", "title", "title",
                                                         "value"]
    lg.report_scalar("loss", "s", 0.25, 2)
    task.close()
    assert read(store_root, task.id, "loss", "s") == ([0, 2], [0.5, 0.25])
    from ringlog.store import Store

    assert Store(store_root).task(task.id).series() == [("loss", "s")]


def test_wandb_bad_keys_and_values(store_root, fast):
    run = ringlog.init(project="b", dir=store_root, settings=fast)
    run.log({"ok": 1.0})
    with pytest.warns(LoggingWarning) as rec:
        run.log({"ok": 2.0, "": 1.0, 5: 2.0, "obj": object()})
        run.log(["not", "a", "dict"])
        run.log({"ok": 3.0}, step="x")
    text = " | ".join(str(w.message) for w in rec)
    assert "keys must be non-empty" in text and "keys must be str" in text and "data: must be a dict" in text
    assert "step: must be an integer" in text and "data['obj']" in text
    run.log({"ok": 4.0})
    run.finish()
    assert read(store_root, run.id, "ok") == ([0, 1, 3], [1.0, 2.0, 4.0])


def test_strict_from_environment_and_wandb_errors(store_root, fast, monkeypatch):
    monkeypatch.setenv("RINGLOG_STRICT", "1")
    run = ringlog.init(project="b", dir=store_root, settings=fast)
    with pytest.raises(LoggingTypeError, match=r"data\['x'\]"):
        run.log({"x": object()})
    with pytest.raises(LoggingValueError, match="non-empty"):
        run.log({"": 1.0})
    with pytest.raises(LoggingTypeError, match="iterations"):
        Task.current_task().get_logger().report_scalar_array("a", "b", [1.0], [0.5])
    with pytest.raises(LoggingValueError, match="same length"):
        Task.current_task().get_logger().report_scalar_array("a", "b", [1.0, 2.0], [0])
    run.finish()
    with pytest.raises(RunFinishedError):
        run.log({"x": 1.0})


def test_logging_after_finish_is_reported_not_written(store_root, fast):
    task = Task.init(project_name="b", task_name="after", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar("a", "a", 1.0, 0)
    task.close()
    with pytest.warns(LoggingWarning, match="finished"):
        lg.report_scalar("a", "a", 2.0, 1)
    assert read(store_root, task.id, "a", "a") == ([0], [1.0])


def test_settings_validation_names_the_field():
    with pytest.raises(ValueError, match="on_full"):
        ringlog.Settings(on_full="drop")
    with pytest.raises(ValueError, match="flush_interval"):
        ringlog.Settings(flush_interval=0)
    with pytest.raises(ValueError, match="staging_limit"):
        ringlog.Settings(staging_limit=10)
    with pytest.raises(ValueError, match="capture"):
        ringlog.Settings().with_capture({"consol": False})
    assert ringlog.Settings().with_capture(False).system_metrics is False


def test_unhashable_and_numpy_edge_values(store_root, fast):
    task = Task.init(project_name="b", task_name="np", dir=store_root, settings=fast)
    lg = task.get_logger()
    lg.report_scalar("a", "a", np.float64(1.5), np.int32(4))
    with pytest.warns(LoggingWarning, match="value"):
        lg.report_scalar("a", "a", np.array([1.0, 2.0]), 5)
    task.close()
    assert read(store_root, task.id, "a", "a") == ([4], [1.5])


def test_unwritable_store_warns_and_never_breaks_the_job(tmp_path, fast):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the store root should be")
    with pytest.warns(LoggingWarning, match="cannot create its task .* points stay staged and the store is retried"):
        run = ringlog.init(project="b", dir=blocker / "root", settings=fast)
    for i in range(10):
        run.log({"x": float(i)})
    with pytest.warns(LoggingWarning) as record:
        run.finish()  # the store is retried (backoff) until RETRIES cycles failed, then finish() says so
    assert any("10 points could not be written" in str(w.message) for w in record), [str(w.message) for w in record]
    assert run._core.stats()["dropped"] == 10


# --- issue 13: nothing a user can pass escapes as an exception in default mode --------------------------------


def _deep(n):
    top = d = {}
    for _ in range(n):
        d["x"] = {}
        d = d["x"]
    d["v"] = 1.0
    return top


def _selfref():
    d = {"a": 1.0}
    d["me"] = d
    return d


EXOTIC_BAD = [  # (value, the rule named, stdlib base in strict mode)
    (10**400, "must fit in a float64", ValueError),
    (-(10**400), "must fit in a float64", ValueError),
    (__import__("decimal").Decimal("1e400"), "must fit in a float64", ValueError),
    (__import__("fractions").Fraction(10**400, 3), "must fit in a float64", ValueError),
    (_deep(5000), "must nest dicts at most", ValueError),
    (_selfref(), "must not contain itself", ValueError),
    (1 + 2j, "must be a real number", TypeError),
    (np.complex64(1), "must be a real number", TypeError),
    (np.datetime64("2020-01-01"), "must be a real number", TypeError),
]
EXOTIC_OK = [  # (value, stored as)
    (__import__("decimal").Decimal("1.5"), 1.5),
    (__import__("fractions").Fraction(1, 4), 0.25),
    (True, 1.0),
    (np.bool_(True), 1.0),
    (np.longdouble(2.5), 2.5),
    (np.float16(1.5), 1.5),
    (np.int8(-3), -3.0),
    (np.uint64(2**64 - 1), float(2**64 - 1)),
    (2**70, float(2**70)),
]


@pytest.mark.parametrize("value, rule, base", EXOTIC_BAD, ids=lambda v: type(v).__name__)
def test_exotic_bad_values_warn_once_and_the_rest_of_the_call_is_stored(store_root, fast, value, rule, base):
    run = ringlog.init(project="b", dir=store_root, settings=fast)
    with pytest.warns(LoggingWarning, match=rule) as record:
        for i in range(3):
            ringlog.log({"good": float(i), "bad": value, "after": float(i)})  # the fast path's call
        for i in range(3, 5):
            run.log({"bad": value, "after": float(i)}, step=i, commit=True)  # the checked path's
    assert len([w for w in record if rule in str(w.message)]) == 1  # one warning per kind
    assert run.stats()["dropped"] == 5  # every refused value is counted
    run.finish()
    assert read(store_root, run.id, "good") == ([0, 1, 2], [0.0, 1.0, 2.0])
    assert read(store_root, run.id, "after") == ([0, 1, 2, 3, 4], [0.0, 1.0, 2.0, 3.0, 4.0])


@pytest.mark.parametrize("value, rule, base", EXOTIC_BAD, ids=lambda v: type(v).__name__)
def test_exotic_bad_values_in_strict_mode_raise_naming_the_key_and_rule(store_root, fast, value, rule, base):
    ringlog.init(project="b", dir=store_root, settings=fast, strict=True)
    with pytest.raises(base, match=rf"data\['bad.*{rule}") as info:
        ringlog.log({"bad": value})
    assert isinstance(info.value, LoggingError) and not isinstance(info.value, RecursionError)


@pytest.mark.parametrize("value, expected", EXOTIC_OK, ids=lambda v: type(v).__name__)
def test_exotic_real_numbers_are_stored(store_root, fast, value, expected):
    run = ringlog.init(project="b", dir=store_root, settings=fast, strict=True)
    ringlog.log({"x": value})
    Task.current_task().get_logger().report_scalar("t", "s", value, 0)
    run.finish()
    assert read(store_root, run.id, "x") == ([0], [expected])
    assert read(store_root, run.id, "t", "s") == ([0], [expected])


def test_report_scalar_huge_value_warns_and_strict_raises_value_error(store_root, fast):
    task = Task.init(project_name="b", task_name="huge", dir=store_root, settings=fast)
    with pytest.warns(LoggingWarning, match="value: must fit in a float64"):
        task.get_logger().report_scalar("t", "s", 10**400, 0)
    task.get_logger().report_scalar("t", "s", 1.0, 1)
    task.close()
    assert read(store_root, task.id, "t", "s") == ([1], [1.0])
    task = Task.init(project_name="b", task_name="huge-strict", dir=store_root, settings=fast, strict=True)
    with pytest.raises(ValueError, match="value: must fit in a float64"):
        task.get_logger().report_scalar("t", "s", 10**400, 0)


@pytest.mark.parametrize("step", [2**63, -(2**63) - 1, np.uint64(2**63), -1])
def test_wandb_step_outside_int64_is_refused_without_moving_the_counter(store_root, fast, step):
    run = ringlog.init(project="b", dir=store_root, settings=fast)
    ringlog.log({"a": 1.0})
    with pytest.warns(LoggingWarning, match=r"step: must be in 0\.\.2\*\*63-1"):
        ringlog.log({"a": 2.0}, step=step)
    assert run.step == 1 and run.stats()["dropped"] == 1
    ringlog.log({"a": 3.0})
    run.finish()
    assert read(store_root, run.id, "a") == ([0, 1], [1.0, 3.0])
    ringlog.init(project="b", dir=store_root, settings=fast, strict=True)
    with pytest.raises(ValueError, match=r"step: must be in 0\.\.2\*\*63-1"):
        ringlog.log({"a": 2.0}, step=step)


def test_wandb_step_counter_stops_at_int64_and_counts_what_it_refuses(store_root, fast):
    run = ringlog.init(project="b", dir=store_root, settings=fast)
    ringlog.log({"a": 1.0}, step=2**63 - 1, commit=True)
    with pytest.warns(LoggingWarning, match="step: must fit in a signed 64-bit integer"):
        for i in range(100):
            ringlog.log({"a": 2.0, "b": 3.0})
    assert run.step == 2**63  # never past int64's end
    assert run.stats()["dropped"] == 200  # every refused point counted
    run.finish()
    assert read(store_root, run.id, "a") == ([2**63 - 1], [1.0])


@pytest.mark.parametrize("iterations", [np.array([0, 2**63, 2**64 - 1], dtype=np.uint64), np.array([0.0, 1e30, 2.0]),
                                        np.array([0.0, -1e19, 2.0])], ids=["uint64", "float-high", "float-low"])
def test_report_scalar_array_iterations_outside_int64_are_refused_not_wrapped(store_root, fast, iterations):
    task = Task.init(project_name="b", task_name="arr", dir=store_root, settings=fast)
    lg = task.get_logger()
    with pytest.warns(LoggingWarning, match="iterations: must fit in a signed 64-bit integer"):
        lg.report_scalar_array("t", "s", np.ones(3), iterations)
    lg.report_scalar_array("t", "s", np.ones(2), np.array([5, 6], dtype=np.uint64))  # in range: fine
    assert task._core.stats()["dropped"] == 1
    task.close()
    assert read(store_root, task.id, "t", "s") == ([5, 6], [1.0, 1.0])
    task = Task.init(project_name="b", task_name="arr-strict", dir=store_root, settings=fast, strict=True)
    with pytest.raises(ValueError, match="iterations: must fit in a signed 64-bit integer"):
        task.get_logger().report_scalar_array("t", "s", np.ones(3), iterations)
