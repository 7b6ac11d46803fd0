"""ringlog.watch on a small torch model trained for a few steps (gradient/parameter histograms),
logged into a real run (the ``run`` fixture is the current run, as after ``ringlog.init``)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")


def _train(model, steps):
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    torch.manual_seed(0)
    for _ in range(steps):
        x = torch.randn(16, 4)
        loss = (model(x) - 1).pow(2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()


def test_gradient_histograms_over_steps(run):
    import ringlog.capture.watch as rw

    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    handles = rw.watch(model, log="gradients", log_freq=2)
    _train(model, 5)
    rw.unwatch(model)
    _train(model, 3)  # no more records after unwatch
    plots = run.plots("gradients")
    names = sorted({p["series"] for p in plots})
    assert names == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for name in names:
        steps = [p["iteration"] for p in plots if p["series"] == name]
        assert steps == [0, 2, 4]
    w = [p for p in plots if p["series"] == "0.weight"][0]
    assert w["kind"] == "histogram" and sum(w["data"]["counts"]) == 32
    assert len(w["data"]["bins"]) == len(w["data"]["counts"]) + 1
    assert handles[0].hooks == [] and run.warnings == []


def test_parameters_and_all(run):
    import ringlog.capture.watch as rw

    a, b = torch.nn.Linear(4, 1), torch.nn.Linear(4, 1)
    rw.watch([a, b], log="all", log_freq=3)
    rw.watch([a, b], log="all", log_freq=3)  # again: replaces, does not double
    assert set(run.core.capture.watched) == {a, b}  # the run's registry, held by its capture handle
    assert "_ringlog_watched" not in vars(run.core)  # nothing written into the engine's object
    for m in (a, b):
        _train(m, 4)
    rw.unwatch()
    assert len(run.core.capture.watched) == 0
    params = run.plots("parameters")
    assert sorted({p["series"] for p in params}) == ["0.bias", "0.weight", "1.bias", "1.weight"]
    assert [p["iteration"] for p in params if p["series"] == "1.weight"] == [0, 3]
    grads = run.plots("gradients")
    assert [p["iteration"] for p in grads if p["series"] == "0.weight"] == [0, 3]
    import pickle

    pickle.dumps(a)  # nothing unpicklable was left on the model


def test_bad_arguments_are_named(run):
    import ringlog.capture.watch as rw

    m = torch.nn.Linear(2, 2)
    with pytest.raises(ValueError, match="log:"):
        rw.watch(m, log="grads")
    with pytest.raises(ValueError, match="log_freq"):
        rw.watch(m, log_freq=0)
    with pytest.raises(TypeError, match="models"):
        rw.watch("not a model")


def test_no_run(monkeypatch):
    import ringlog.capture.watch as rw
    from ringlog._engine import context

    monkeypatch.setattr(context, "current_core", lambda: None)
    with pytest.raises(RuntimeError, match="init"):
        rw.watch(torch.nn.Linear(2, 2))


def test_each_run_keeps_its_own_registry(run, make_run):
    import ringlog.capture.watch as rw
    from ringlog._engine import context

    m = torch.nn.Linear(2, 1)
    rw.watch(m, log_freq=1)
    other = make_run("other")
    context.set_current(other.core)
    rw.unwatch()  # the other run watches nothing: the first run's hooks stay
    assert set(run.core.capture.watched) == {m} and len(other.core.capture.watched) == 0
    context.set_current(run.core)
    rw.unwatch(m)
    assert len(run.core.capture.watched) == 0


def test_a_failing_histogram_is_reported_once_and_training_goes_on(run, monkeypatch):
    import ringlog.capture.watch as rw

    def broken(t, bins=rw.BINS):
        raise RuntimeError("histc failed")

    monkeypatch.setattr(rw, "tensor_histogram", broken)
    model = torch.nn.Linear(4, 1)
    (h,) = rw.watch(model, log_freq=1)
    _train(model, 3)
    rw.unwatch(model)
    assert h.failed == 6 and h.logged == 0  # 2 parameters x 3 steps, each counted
    assert len(run.warnings) == 1 and "histc failed" in run.warnings[0]
