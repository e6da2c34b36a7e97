"""The recorder sees every op of a step, and two traces that differ are told apart."""
import numpy as np

from lamina import backend, layers, ops
from lamina.autograd import Tensor, Variable
from lamina.autograd.config import Config
from lamina.compile.plan import Plan
from lamina.compile.recorder import Recorder, Trace
from lamina.keras import ops as keras_ops


def _trace(fn, *batch):
    batch = [backend.to_device(b) for b in batch]   # as batch_arrays gives them to the trace
    with Recorder() as recorder:
        out = fn(*[Tensor(b) for b in batch])
    return Trace(recorder, list(batch), {"y_pred": [out]}), out


def test_recorder_is_off_outside_a_trace():
    with Recorder() as recorder:
        layers.Dense(2)(Tensor(np.ones((1, 3), "float32")))
        with recorder.paused():   # host-side work the replay repeats itself
            ops.exp(Tensor(np.ones(2, "float32")))
            Variable(np.zeros(2, "float32")).assign_add(np.ones(2))
    assert Config.recorder is None
    assert [type(f).__name__ for f, *_ in recorder.calls] == ["Linear"]
    assert recorder.assigned == []


def test_buffers_are_classified_by_where_they_come_from(rng):
    w = Variable(np.ones((3, 2), "float32"))
    x = rng.standard_normal((4, 3)).astype("float32")
    labels = np.array([0, 1, 1, 0], "uint8")
    trace, _ = _trace(lambda t: ops.matmul(t, w) * 2.0 + Tensor(labels.astype("float32"))[:, None],
                      x)
    trace.batch.append(backend.to_device(labels))
    kinds = {k[0] for k in trace.kinds}
    assert {"input", "var", "const", "out"} <= kinds


def test_changing_constants_and_branches_are_differences(rng):
    x1, x2 = (rng.standard_normal((4, 3)).astype("float32") for _ in range(2))
    same_a, _ = _trace(lambda t: t * 2.0, x1)
    same_b, _ = _trace(lambda t: t * 2.0, x2)
    assert same_a.difference(same_b) is None
    noisy_a, _ = _trace(lambda t: t * Tensor(rng.random((4, 3))), x1)
    noisy_b, _ = _trace(lambda t: t * Tensor(rng.random((4, 3))), x2)
    assert "changes from step to step" in noisy_a.difference(noisy_b)
    longer, _ = _trace(lambda t: ops.exp(t) * 2.0, x2)
    assert "ran 1 and 2 ops" in same_a.difference(longer)
    other, _ = _trace(lambda t: ops.exp(t), x2)
    assert "differ at op #0" in same_a.difference(other)


def test_a_weight_written_during_the_step_is_a_difference(rng):
    w = Variable(np.zeros(3, "float32"), name="moving_mean")

    def step(t):
        w.assign(t.data.mean(axis=0))
        return t * 2.0
    a, _ = _trace(step, rng.standard_normal((4, 3)).astype("float32"))
    b, _ = _trace(step, rng.standard_normal((4, 3)).astype("float32"))
    assert "moving_mean" in a.difference(b)


def test_a_weight_written_with_an_op_output_is_replayed_in_place(rng):
    w = Variable(np.zeros(3, "float32"), name="moving_mean")

    def step(t):
        w.assign(w * 0.5 + ops.mean(t, axis=0))
        return t * w
    xs = [rng.standard_normal((4, 3)).astype("float32") for _ in range(3)]
    a, _ = _trace(step, xs[0])
    b, _ = _trace(step, xs[1])
    assert a.difference(b) is None
    storage = w.data
    expected = w.numpy() * 0.5 + xs[2].mean(axis=0)
    plan = Plan(b)
    plan.forward([backend.to_device(xs[2])])
    assert w.data is storage   # written in place, as eager does
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(backend.to_numpy(plan.buffers[plan.y_pred[0]]),
                               xs[2] * expected, rtol=1e-6)


def test_a_detached_output_is_the_same_buffer(rng):
    # detach() and stop_gradient wrap an op's output array in another Tensor
    def step(t):
        h = ops.exp(t)
        return h.detach() * 2.0 + keras_ops.stop_gradient(h)
    a, _ = _trace(step, rng.standard_normal((4, 3)).astype("float32"))
    b, _ = _trace(step, rng.standard_normal((4, 3)).astype("float32"))
    assert a.difference(b) is None
    assert [k[0] for k in a.kinds].count("const") == 1   # the 2.0 only
    exp_out = a.ops[0][3][0]
    assert exp_out in a.ops[1][2] and exp_out in a.ops[2][2]
