"""ClearML's ways of continuing a task (issue 16, part 1): ``Task.init(continue_last_task=True |
"<id>" | <offset>)``, ``reuse_last_task_id``, ``Task.get_task(...).mark_started()``."""

from __future__ import annotations

import numpy as np
import pytest

from ringlog import Task
from ringlog.errors import LoggingTypeError, LoggingValueError
from ringlog.store import Store


def _first(tmp_path, fast, n=10):
    t = Task.init("proj", "train", dir=str(tmp_path), settings=fast)
    t.connect({"lr": 0.1})
    for i in range(n):
        t.get_logger().report_scalar("loss", "train", float(i), i)
    t.get_logger().report_single_value("acc", 0.9)  # its iteration (-2**31) is no step
    tid = t.id
    t.close()
    return tid


def _loss(tmp_path, tid):
    s = Store(tmp_path).task(tid).scalar("loss", "train")
    return s.step, s.value


def test_continue_last_task_offsets_iterations(tmp_path, fast):
    tid = _first(tmp_path, fast)
    t = Task.init("proj", "train", dir=str(tmp_path), settings=fast, continue_last_task=True)
    assert t.id == tid and t.get_initial_iteration() == 10
    assert t.get_parameters_as_dict() == {"General": {"lr": 0.1}}
    for i in range(3):  # the script counts from 0 again: stored after the old points
        t.get_logger().report_scalar("loss", "train", 100.0 + i, i)
    t.get_logger().report_scalar_array("loss", "train", np.array([7.0]), np.array([3]))
    t.close()
    step, value = _loss(tmp_path, tid)
    np.testing.assert_array_equal(step, np.arange(14))
    np.testing.assert_array_equal(value[10:], [100, 101, 102, 7])
    info = Store(tmp_path).task(tid).info
    assert info["status"] == "completed" and info["resumes"][-1]["step"] == 10
    assert Store(tmp_path).task(tid).scalar("Summary", "acc").step.tolist() == [-(2**31)]


def test_continue_with_an_offset_or_an_id(tmp_path, fast):
    tid = _first(tmp_path, fast)
    t = Task.init("proj", "train", dir=str(tmp_path), settings=fast, continue_last_task=0)
    assert t.id == tid and t.get_initial_iteration() == 0
    t.get_logger().report_scalar("loss", "train", -1.0, 50)
    t.close()
    t = Task.init("other-project", "x", dir=str(tmp_path), settings=fast, continue_last_task=tid)
    assert t.id == tid and t.project == "proj" and t.get_initial_iteration() == 51
    t.close()
    assert _loss(tmp_path, tid)[0].tolist() == list(range(10)) + [50]
    with pytest.raises(LoggingValueError, match="^continue_last_task: names no stored task"):
        Task.init("proj", "train", dir=str(tmp_path), settings=fast, continue_last_task="nosuchtask")
    with pytest.raises(LoggingTypeError, match="^continue_last_task: must be"):
        Task.init("proj", "train", dir=str(tmp_path), settings=fast, continue_last_task=1.5)
    with pytest.raises(LoggingTypeError, match="^reuse_last_task_id: must be"):
        Task.init("proj", "train", dir=str(tmp_path), settings=fast, reuse_last_task_id=3)


def test_nothing_to_continue_makes_a_new_task(tmp_path, fast):
    t = Task.init("proj", "fresh", dir=str(tmp_path), settings=fast, continue_last_task=True)
    assert t.get_initial_iteration() == 0 and not t._core.resumed
    t.close()


def test_reuse_only_a_task_with_nothing_logged(tmp_path, fast):
    kw = dict(dir=str(tmp_path), settings=fast)
    t = Task.init("proj", "empty", **kw)
    empty = t.id
    t.connect({"old": 1})
    t.close()
    t = Task.init("proj", "empty", reuse_last_task_id=True, **kw)
    assert t.id == empty and t.get_parameters_as_dict() == {}  # reused with a fresh config
    t.get_logger().report_scalar("a", "b", 1.0, 0)
    t.close()
    t = Task.init("proj", "empty", reuse_last_task_id=True, **kw)
    assert t.id != empty  # it holds data now: a new task, nothing deleted
    t.close()
    t = Task.init("proj", "empty", **kw)
    assert t.id != empty  # the default: always a new task
    t.close()
    assert Store(tmp_path).task(empty).count("a", "b") == 1


def test_get_task_then_mark_started(tmp_path, fast):
    tid = _first(tmp_path, fast)
    view = Task.get_task(project_name="proj", task_name="train", dir=str(tmp_path))
    assert view.status == "completed"
    with pytest.raises(AttributeError, match="mark_started"):
        view.get_logger()
    view.mark_started()
    assert view.status == "running" and Task.current_task().id == tid
    view.get_logger().report_scalar("loss", "train", 5.0, 500)  # iterations as reported
    view.mark_completed()
    assert view.status == "completed"
    step, _ = _loss(tmp_path, tid)
    assert step.tolist() == list(range(10)) + [500]
    assert Store(tmp_path).task(tid).info["status"] == "completed"
