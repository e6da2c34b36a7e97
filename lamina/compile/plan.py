"""Plan: a recorded step replayed on arrays, with no Tensors and no graph.

The forward pass calls each recorded op's ``forward`` on the buffers it read when traced;
the backward pass calls the ops' ``backward`` in the order eager backward called them,
summing gradients exactly as the engine does (``lamina.autograd.engine.backward``).
A weight the step writes (a BatchNormalization's moving statistics) is written at the same
point of the forward pass, in place, by a step of its own among the ops.
"""
from lamina.autograd.engine import sum_to
from lamina.autograd.tensor import Tensor
from lamina.backend import get_array_module
from lamina.ops.nn import Softmax, SparseSoftmaxCrossEntropy


class Plan:
    """The replayable form of a ``Trace``.

    Args:
        trace: a Trace that agreed with the trace before it.
        grad_views: {Variable id: array} where each weight's gradient is written (the flat
            gradient buffer's views), or None for a forward-only plan.
    """

    def __init__(self, trace, grad_views=None):
        n = len(trace.kinds)
        self.buffers = [None] * n
        self.shapes = trace.shapes
        self.inputs, self.variables = [], []
        for number, kind in enumerate(trace.kinds):
            if kind[0] == "input":
                self.inputs.append((number,) + kind[1:])
            elif kind[0] == "var":
                self.variables.append((number, kind[1]))
            elif kind[0] == "const":
                self.buffers[number] = kind[1]
        self.requires_grad = [(v, v.requires_grad) for _, v in self.variables]
        self.forward_ops = [(f, ins, outs) for f, _, ins, outs, _ in trace.ops]
        for position, variable, method, value in reversed(trace.assigns):
            self.forward_ops.insert(position, (_Assign(variable, method), (value,), ()))
        self.backward_ops = [(trace.ops[k][0], trace.ops[k][2], trace.ops[k][3])
                             for k in trace.backward_order]
        self.y_pred, self.loss = trace.y_pred, trace.loss
        self.y_pred_fields = trace.y_pred_fields
        self.trackers = trace.trackers
        self.grad_targets = {}   # buffer number -> the weight's gradient view
        if grad_views is not None:
            for number, v in self.variables:
                if id(v) in grad_views:
                    self.grad_targets[number] = grad_views[id(v)]

    def fuse_softmax_cross_entropy(self):
        """Runs a softmax and a sparse cross-entropy of the same logits as one op.

        A Dense(softmax) output trained with sparse categorical cross-entropy computes the
        softmax twice: for the predictions, and inside the loss (which reads the logits, as
        Keras does). The loss's forward makes the very same softmax (the same operations), so
        the fused op hands it to both; its slot in the list stays, empty, so that the ops keep
        their positions.
        """
        ops = self.forward_ops
        made_at = {o: k for k, (_, _, outs) in enumerate(ops) for o in outs}
        softmax_of = {ins[0]: k for k, (f, ins, _) in enumerate(ops)
                      if type(f) is Softmax and f.axis in (-1, len(self.shapes[ins[0]]) - 1)}
        for k, (f, ins, outs) in enumerate(ops):
            first = softmax_of.get(ins[0]) if type(f) is SparseSoftmaxCrossEntropy else None
            if first is None:
                continue
            softmax, (logits,), (probs,) = ops[first]
            # the fused op runs where the softmax ran when the labels exist by then, else
            # where the loss ran when no op in between reads the softmax
            if made_at.get(ins[1], -1) < first:
                at, empty = first, k
            elif not any(probs in between[1] for between in ops[first + 1:k]):
                at, empty = k, first
            else:
                continue
            del softmax_of[ins[0]]   # one loss per softmax
            ops[at] = (_SoftmaxCrossEntropy(softmax, f), (logits, ins[1]), (probs,) + outs)
            ops[empty] = (_Done(), (), ())

    def still_valid(self):
        """False when a weight's ``trainable`` flag changed since tracing."""
        for v, flag in self.requires_grad:
            if v.requires_grad is not flag:
                return False
        return True

    def forward(self, batch):
        """Runs the recorded ops on a new batch (its arrays, flattened as when traced)."""
        buffers = self.buffers
        for number, j, dtype, shape in self.inputs:
            b = batch[j]
            buffers[number] = b if dtype is None else b.astype(dtype, copy=False).reshape(shape)
        for number, v in self.variables:
            buffers[number] = v.data
        self.run(self.forward_ops)
        return buffers

    def run(self, ops):
        """Calls ``forward`` of each (op, input buffers, output buffers) in order."""
        buffers = self.buffers
        for f, ins, outs in ops:
            ys = f.forward(*[buffers[i] for i in ins])
            if isinstance(ys, tuple):
                for o, y in zip(outs, ys):
                    buffers[o] = y
            else:
                buffers[outs[0]] = ys

    def outputs(self):
        """The step's predictions as Tensors (with the fields eager set on them)."""
        out = []
        for number, fields in zip(self.y_pred, self.y_pred_fields):
            t = Tensor._wrap(self.buffers[number])
            for name, (kind, value) in fields.items():
                setattr(t, name, Tensor._wrap(self.buffers[value]) if kind == "buffer" else value)
            out.append(t)
        return out

    def backward(self, loss_scale=None):
        """Gradients of the loss (times ``loss_scale`` when given) into ``grad_targets``;
        returns the weights' buffer numbers that received one."""
        buffers, shapes, targets = self.buffers, self.shapes, self.grad_targets
        loss = buffers[self.loss]
        grads = [None] * len(buffers)
        grads[self.loss] = get_array_module(loss).full(
            loss.shape, 1 if loss_scale is None else loss_scale, loss.dtype)
        leaf_grads = {}
        for f, ins, outs in self.backward_ops:
            gys = [grads[o] for o in outs]
            for o in outs:
                grads[o] = None
            if len(gys) == 1 and gys[0] is None:
                continue
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for i, gx, needed in zip(ins, gxs, f.needs_grad):
                if gx is None or not needed:
                    continue
                if gx.shape != shapes[i]:
                    gx = sum_to(gx, shapes[i])
                if i in targets:
                    previous = leaf_grads.get(i)
                    leaf_grads[i] = gx if previous is None else previous + gx
                else:
                    previous = grads[i]
                    grads[i] = gx if previous is None else previous + gx
        for i, g in leaf_grads.items():
            targets[i][...] = g
        return leaf_grads.keys()


class _Assign:
    """A weight write of the traced step, replayed among the ops (``forward`` returns no
    outputs): ``variable.assign(value)`` (or ``assign_add``, ``assign_sub``) as eager did."""

    def __init__(self, variable, method):
        self.write = getattr(variable, method)

    def forward(self, value):
        self.write(value)
        return ()


class _SoftmaxCrossEntropy:
    """A ``Softmax`` and a ``SparseSoftmaxCrossEntropy`` of the same logits in one forward:
    the loss's softmax is also the prediction; each op keeps what its backward reads."""

    def __init__(self, softmax, cross_entropy):
        self.softmax, self.cross_entropy = softmax, cross_entropy

    def forward(self, logits, labels):
        loss = self.cross_entropy.forward(logits, labels)
        self.softmax.y = probs = self.cross_entropy.p.reshape(logits.shape)
        return probs, loss


class _Done:
    """The empty slot of an op that a fused op before it already ran."""

    def forward(self):
        return ()

