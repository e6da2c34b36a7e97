"""Recurrent ops: a whole SimpleRNN, LSTM or GRU sequence in one Function; embedding lookup.

Forward: the input projection x W + b of every step is one GEMM up front; a Python loop
over the steps adds one GEMM h U and does the gate math in place with a handful of array
ops. Backward (BPTT) walks the steps in reverse with the same few ops and one GEMM per
step, then gets the input, kernel and recurrent-kernel gradients with one GEMM each over
all steps. Inside, the forward's arrays are time-major and gate-major, (steps, gates,
batch, units), so every per-step op works on contiguous memory; the backward's gradients
of the pre-activations (``preact_grads``) are (steps, batch, gates * units), Keras's column
order, so that each of its GEMMs is one plain 2-D product with U or W.

Plain twins, one step at a time as the equations read (tested equal, forward and backward):
``lamina.reference.recurrent.simple_rnn``, ``lstm`` and ``gru``.

A mask (batch, steps) makes masked steps keep the previous state (and so output), as Keras.
Weights and gate orders are Keras's: LSTM i, f, c, o; GRU z, r, h.
"""
import numpy as np

from lamina import backend
from lamina.autograd import Function, Tensor


def _sigmoid(xp, z, out):
    # NOTE: sigmoid(z) = 0.5 * tanh(0.5 z) + 0.5: one tanh and no exp to overflow.
    xp.multiply(z, 0.5, out=out)
    xp.tanh(out, out=out)
    out *= 0.5
    out += 0.5


def _hard_sigmoid(xp, z, out):
    xp.multiply(z, 1 / 6, out=out)
    out += 0.5
    xp.clip(out, 0, 1, out=out)


def _linear(xp, z, out):
    if out is not z:
        out[...] = z


def _d_tanh(xp, y, out):
    xp.multiply(y, y, out=out)
    xp.subtract(1, out, out=out)


def _d_sigmoid(xp, y, out):
    xp.multiply(y, y, out=out)
    xp.subtract(y, out, out=out)


def _d_relu(xp, y, out):
    out[...] = y > 0


def _d_hard_sigmoid(xp, y, out):
    out[...] = (y > 0) & (y < 1)
    out *= 1 / 6


# name: (forward(xp, z, out), derivative(xp, y, out) from the output y), both writing into out
ACTIVATIONS = {
    "tanh": (lambda xp, z, out: xp.tanh(z, out=out), _d_tanh),
    "sigmoid": (_sigmoid, _d_sigmoid),
    "relu": (lambda xp, z, out: xp.maximum(z, 0, out=out), _d_relu),
    "linear": (_linear, lambda xp, y, out: out.fill(1)),
    "hard_sigmoid": (_hard_sigmoid, _d_hard_sigmoid),
}


def _derivative(name, y):
    """The derivative of activation ``name`` at the points where it output ``y``."""
    d = backend.get_array_module(y).empty_like(y)
    ACTIVATIONS[name][1](backend.get_array_module(y), y, d)
    return d


def _by_gate(w, k):
    """(n, k*units) weights -> (k, n, units): each gate's columns as one contiguous matrix."""
    return w.reshape(w.shape[0], k, -1).transpose(1, 0, 2).copy()


class _Gates:
    """The activations of a block of gates (gates, batch, units), applied in place.

    Args:
        xp: numpy or cupy.
        groups: [(stop, name), ...]: gates [previous stop, stop) use activation ``name``.
        shape: (batch, units) of one gate.
        dtype: dtype of the block.
    """

    def __init__(self, xp, groups, shape, dtype):
        self.xp = xp
        starts = [0] + [stop for stop, _ in groups[:-1]]
        self.groups = [(a, b, name) for a, (b, name) in zip(starts, groups)]
        names = {name for _, name in groups}
        self.fused = names <= {"tanh", "sigmoid"}
        self.scale, self.tiles = None, None
        if self.fused and "sigmoid" in names:
            # NOTE: sigmoid(z) = 0.5 * tanh(0.5 z) + 0.5, so a block of sigmoid and tanh gates is
            # one tanh: the op pre-scales the sigmoid gates' weights by 0.5 (prescale), and
            # tanh(z) * scale + shift finishes every gate at once (full-size tiles keep the
            # two ops contiguous, which is faster than broadcasting).
            scale = np.ones((groups[-1][0], 1, 1), dtype)
            for a, b, name in self.groups:
                scale[a:b] = 0.5 if name == "sigmoid" else 1.0
            self.scale = xp.asarray(scale)
            tile = xp.broadcast_to(self.scale, (len(scale),) + tuple(shape)).copy()
            self.tiles = (tile, 1 - tile)

    def prescale(self, w):
        """Gate-major weights ``w`` (k, ...) with the first gates scaled for the fused form."""
        if self.scale is None:
            return w
        w = w.copy()
        w[:len(self.scale)] *= self.scale
        return w

    def __call__(self, z):
        xp = self.xp
        if self.fused:
            xp.tanh(z, out=z)
            if self.tiles is not None:
                z *= self.tiles[0]
                z += self.tiles[1]
            return
        for a, b, name in self.groups:
            ACTIVATIONS[name][0](xp, z[a:b], z[a:b])

    def grad(self, y):
        """Derivatives of the gates w.r.t. their pre-activations, from their values ``y``
        (steps, gates, batch, units)."""
        d = self.xp.empty_like(y)
        for a, b, name in self.groups:
            ACTIVATIONS[name][1](self.xp, y[:, a:b], d[:, a:b])
        return d


class _Recurrence(Function):
    """Settings and the steps shared by the three sequence ops.

    Inside, a gate block is gate-major, (steps, gates, batch, units): each gate of each
    step is one contiguous array, which keeps every small per-step op contiguous.

    Args:
        activation, recurrent_activation: names from ``ACTIVATIONS``.
        mask: optional boolean array (batch, steps); False steps keep the previous state.
        go_backwards: process the steps last to first (outputs stay in processing order).
        return_sequences: output every step's state (batch, steps, units), not only the last.
        dropout_mask: optional (batch, features) array multiplying every step's input.
        recurrent_dropout_mask: optional (batch, units) array multiplying the state fed to U.
        draw_dropout: optional ``(batch, features) -> (dropout_mask, recurrent_dropout_mask)``
            called at each forward instead (fresh masks drawn inside the op, so a compiled
            step draws new ones at every replay, as eager does).
    """

    def __init__(self, activation="tanh", recurrent_activation="sigmoid", mask=None,
                 go_backwards=False, return_sequences=False, dropout_mask=None,
                 recurrent_dropout_mask=None, draw_dropout=None):
        for name in (activation, recurrent_activation):
            if name not in ACTIVATIONS:
                raise ValueError(f"Unknown recurrent op activation {name!r}; expected one of "
                                 f"{sorted(ACTIVATIONS)}.")
        self.act, self.ract = activation, recurrent_activation
        # the masks move to the device of the weights (a no-op on the CPU)
        self.mask, self.dropout_mask, self.rdrop = [
            None if m is None else backend.to_device(m)
            for m in (mask, dropout_mask, recurrent_dropout_mask)]
        self.go_backwards = go_backwards
        self.return_sequences = return_sequences
        self.draw_dropout = draw_dropout

    def _begin(self, x, W, b, units):
        """Stores the time-major inputs X (steps, batch, features [+ 1]) and the step masks."""
        xp = backend.get_array_module(x)
        B, T, D = x.shape
        if self.draw_dropout is not None:
            self.dropout_mask, self.rdrop = [None if m is None else backend.to_device(m)
                                             for m in self.draw_dropout(B, D)]
        xt = x.transpose(1, 0, 2)[::-1] if self.go_backwards else x.transpose(1, 0, 2)
        self.X = X = xp.empty((T, B, D + (b is not None)), W.dtype)
        if self.dropout_mask is None:
            X[..., :D] = xt
        else:
            xp.multiply(xt, self.dropout_mask, out=X[..., :D])
        if b is not None:
            # NOTE: the bias is the kernel row of a constant input 1: the projection GEMM
            # adds it, and the kernel-gradient GEMM gives its gradient.
            X[..., D] = 1
        self.keep = None
        if self.mask is not None:
            m = self.mask.T[::-1] if self.go_backwards else self.mask.T
            if not m.all():  # True where the state is kept, full size so ops stay contiguous
                self.keep = xp.broadcast_to(~m[..., None], (T, B, units)).copy()
        return xp, T, B

    def _project(self, gates, W, b, k):
        """Every step's input projection x W + b at once: (steps, k, batch, units)."""
        xp = backend.get_array_module(W)
        Wb = W if b is None else xp.concatenate([W, b.reshape(1, -1)])
        return xp.matmul(self.X[:, None], gates.prescale(_by_gate(Wb, k)))

    def _hidden(self, H, t):
        """The state that feeds the recurrent GEMM at step t (recurrent dropout applied)."""
        return H[t] if self.rdrop is None else H[t] * self.rdrop

    def _carry(self, xp, t, *states):
        """At masked steps the states keep their previous values."""
        if self.keep is not None:
            for S in states:
                xp.copyto(S[t + 1], S[t], where=self.keep[t])

    def _outputs(self, xp, H, *states):
        if self.return_sequences:
            return (xp.ascontiguousarray(H[1:].transpose(1, 0, 2)), H[-1]) + states
        return (H[-1],) + states

    def _upstream(self, gys, H):
        """The sequence's gradient (time-major, or None) and a buffer per final state's."""
        xp = backend.get_array_module(H)
        gY = None
        if self.return_sequences:
            gY, gys = gys[0], gys[1:]
            gY = None if gY is None else xp.ascontiguousarray(gY.transpose(1, 0, 2))
        return gY, [xp.zeros_like(H[0]) if g is None else g.copy() for g in gys]

    def _split(self, t, g):
        """Splits a state's gradient at step t: the part that reaches the step's new value,
        and the part that goes straight to the previous state (masked rows)."""
        if self.keep is None:
            return g, None
        kept = g * self.keep[t]
        g -= kept
        return g, kept

    def _previous(self, g, kept):
        """The previous state's gradient: ``g`` (through U, times the recurrent dropout mask)
        plus the part kept at masked rows."""
        if self.rdrop is not None:
            g *= self.rdrop
        if kept is not None:
            g += kept
        return g

    def _input_grads(self, preact_grads, W):
        """Gradients of x, the kernel and the bias from the pre-activation gradients preact_grads
        (steps*batch, k*units) of every step: one GEMM each."""
        D = W.shape[0]
        gWb = self.X.reshape(len(preact_grads), -1).T @ preact_grads
        gx = None
        if self.needs_grad[0]:
            gx = (preact_grads @ W.T).reshape(self.X.shape[:2] + (D,))
            if self.dropout_mask is not None:
                gx *= self.dropout_mask
            gx = (gx[::-1] if self.go_backwards else gx).transpose(1, 0, 2)
        return gx, gWb[:D], (gWb[D] if len(gWb) > D else None)

    def _recurrent_grad(self, H, preact_grads):
        """Gradient of U (or of the columns whose pre-activation gradients are given): the
        states that fed it, times those gradients."""
        Hp = H[:-1] if self.rdrop is None else H[:-1] * self.rdrop
        return Hp.reshape(-1, Hp.shape[-1]).T @ preact_grads


class SimpleRNN(_Recurrence):
    """h_t = activation(x_t W + b + h_{t-1} U) over a sequence; twin ``reference.recurrent``.

    forward(x, W, U, h0[, b]) -> (sequence,) h. x (batch, steps, features),
    W (features, units), U (units, units), h0 (batch, units), b (units,).
    """
    n_states = 1

    def forward(self, x, W, U, h0, b=None):
        u = U.shape[0]
        xp, T, B = self._begin(x, W, b, u)
        self.gates = gates = _Gates(xp, [(1, self.act)], (B, u), W.dtype)
        H = xp.empty((T + 1, B, u), W.dtype)
        H[0] = h0
        H[1:] = self._project(gates, W, b, 1)[:, 0]
        Us = gates.prescale(U[None])[0]
        hU = xp.empty((B, u), W.dtype)
        for t in range(T):
            h = H[t + 1:t + 2]
            h += xp.matmul(self._hidden(H, t), Us, out=hU)
            gates(h)
            self._carry(xp, t, H)
        self.W, self.U, self.H = W, U, H
        return self._outputs(xp, H)

    def backward(self, *gys):
        xp, H, U = backend.get_array_module(self.H), self.H, self.U
        gY, (dh,) = self._upstream(gys, H)
        act_grads = self.gates.grad(H[1:, None])[:, 0]  # masked rows: any value, their dh is 0
        preact_grads = xp.empty_like(act_grads)
        UT = xp.ascontiguousarray(U.T)
        for t in reversed(range(len(preact_grads))):
            if gY is not None:
                dh += gY[t]
            dh, kept = self._split(t, dh)
            xp.multiply(dh, act_grads[t], out=preact_grads[t])
            dh = self._previous(preact_grads[t] @ UT, kept)
        preact_grads = preact_grads.reshape(-1, preact_grads.shape[-1])
        gx, gW, gb = self._input_grads(preact_grads, self.W)
        gU = self._recurrent_grad(H, preact_grads)
        return (gx, gW, gU, dh) + ((gb,) if gb is not None else ())


class LSTM(_Recurrence):
    """Long short-term memory over a sequence, gates i, f, c, o; twin ``reference.recurrent``.

    i, f, o = recurrent_activation(.), c~ = activation(.) of x_t W + h_{t-1} U + b;
    c_t = f * c_{t-1} + i * c~; h_t = o * activation(c_t).
    forward(x, W, U, h0, c0[, b]) -> (sequence,) h, c. W (features, 4u), U (u, 4u), b (4u,).
    """
    n_states = 2

    def forward(self, x, W, U, h0, c0, b=None):
        u = U.shape[0]
        xp, T, B = self._begin(x, W, b, u)
        self.gates = gates = _Gates(
            xp, [(2, self.ract), (3, self.act), (4, self.ract)], (B, u), W.dtype)
        act = ACTIVATIONS[self.act][0]
        gate_values = self._project(gates, W, b, 4)  # pre-activations, made gate values in place
        U4 = gates.prescale(_by_gate(U, 4))
        H, C = xp.empty((T + 1, B, u), W.dtype), xp.empty((T + 1, B, u), W.dtype)
        act_c = xp.empty((T, B, u), W.dtype)  # activation(c_t)
        H[0], C[0] = h0, c0
        hU = xp.empty((4, B, u), W.dtype)
        for t in range(T):
            z = gate_values[t]
            z += xp.matmul(self._hidden(H, t), U4, out=hU)
            gates(z)
            i, f, g, o = z
            c = C[t + 1]
            xp.multiply(f, C[t], out=c)
            c += i * g
            act(xp, c, act_c[t])
            xp.multiply(o, act_c[t], out=H[t + 1])
            self._carry(xp, t, H, C)
        self.W, self.U, self.H, self.C = W, U, H, C
        self.gate_values, self.act_c = gate_values, act_c
        return self._outputs(xp, H, C[-1])

    def backward(self, *gys):
        gate_values, H, C, act_c = self.gate_values, self.H, self.C, self.act_c
        xp = backend.get_array_module(gate_values)
        gY, (dh, dc) = self._upstream(gys, H)
        # NOTE: every step's factors at once, so that the loop is five small ops and a GEMM
        gate_grads = self.gates.grad(gate_values)
        gate_grads[:, 0] *= gate_values[:, 2]  # d z_i = dc * c~ * i'
        gate_grads[:, 1] *= C[:-1]  # d z_f = dc * c_{t-1} * f'
        gate_grads[:, 2] *= gate_values[:, 0]  # d z_c = dc * i * c~'
        gate_grads[:, 3] *= act_c  # d z_o = dh * act(c) * o'
        dc_per_dh = _derivative(self.act, act_c)
        dc_per_dh *= gate_values[:, 3]  # d c_t += dh * o * act'(c)
        UT = xp.ascontiguousarray(self.U.T)
        T, k, B, u = gate_values.shape
        preact_grads = xp.empty((T, B, k * u), gate_values.dtype)
        for t in reversed(range(T)):
            if gY is not None:
                dh += gY[t]
            dh, dh_kept = self._split(t, dh)
            dc, dc_kept = self._split(t, dc)
            dc += dh * dc_per_dh[t]
            step_grads = preact_grads[t].reshape(B, k, u).transpose(1, 0, 2)  # gate-major view
            xp.multiply(gate_grads[t, :3], dc, out=step_grads[:3])
            xp.multiply(gate_grads[t, 3], dh, out=step_grads[3])
            dc *= gate_values[t, 1]
            if dc_kept is not None:
                dc += dc_kept
            dh = self._previous(preact_grads[t] @ UT, dh_kept)
        preact_grads = preact_grads.reshape(T * B, k * u)
        gx, gW, gb = self._input_grads(preact_grads, self.W)
        grads = (gx, gW, self._recurrent_grad(H, preact_grads), dh, dc)
        return grads + ((gb,) if gb is not None else ())


class GRU(_Recurrence):
    """Gated recurrent unit over a sequence, gates z, r, h; twin ``reference.recurrent``.

    z, r = recurrent_activation(x_t W + b_x + h_{t-1} U (+ b_h)) for their columns;
    reset_after=True: h~ = activation(x_t W_h + b_xh + r * (h_{t-1} U_h + b_hh)), b (2, 3u);
    reset_after=False: h~ = activation(x_t W_h + b_h + (r * h_{t-1}) U_h), b (3u,);
    h_t = z * h_{t-1} + (1 - z) * h~.
    forward(x, W, U, h0[, b]) -> (sequence,) h. W (features, 3u), U (u, 3u).
    """
    n_states = 1

    def __init__(self, reset_after=True, **kwargs):
        super().__init__(**kwargs)
        self.reset_after = reset_after

    def forward(self, x, W, U, h0, b=None):
        u = U.shape[0]
        bx, bh = (None, None) if b is None else (b[0], b[1]) if self.reset_after else (b, None)
        xp, T, B = self._begin(x, W, bx, u)
        self.gates = gates = _Gates(xp, [(2, self.ract)], (B, u), W.dtype)
        act = ACTIVATIONS[self.act][0]
        # [z, r, h~] input parts, made gate values in place
        gate_values = self._project(gates, W, bx, 3)
        U3 = gates.prescale(_by_gate(U, 3))
        if bh is not None:
            bh = xp.broadcast_to(gates.prescale(bh.reshape(3, 1, u)), (3, B, u)).copy()
        H = xp.empty((T + 1, B, u), W.dtype)
        H[0] = h0
        # the candidate's recurrent part: h U_h + b_hh when reset_after, else r * h
        recurrent_part = xp.empty((T, B, u), W.dtype)
        hU = xp.empty((3, B, u), W.dtype)
        for t in range(T):
            zr, hh = gate_values[t, :2], gate_values[t, 2]
            hd = self._hidden(H, t)
            if self.reset_after:
                xp.matmul(hd, U3, out=hU)
                if bh is not None:
                    hU += bh
                zr += hU[:2]
                gates(zr)
                recurrent_part[t] = hU[2]
                hh += zr[1] * recurrent_part[t]
            else:
                zr += xp.matmul(hd, U3[:2], out=hU[:2])
                gates(zr)
                xp.multiply(zr[1], hd, out=recurrent_part[t])
                hh += xp.matmul(recurrent_part[t], U3[2], out=hU[2])
            act(xp, hh, hh)
            h = H[t + 1]
            xp.subtract(H[t], hh, out=h)
            h *= zr[0]
            h += hh
            self._carry(xp, t, H)
        self.W, self.U, self.H = W, U, H
        self.gate_values, self.recurrent_part = gate_values, recurrent_part
        return self._outputs(xp, H)

    def backward(self, *gys):
        gate_values, H, recurrent_part = self.gate_values, self.H, self.recurrent_part
        xp = backend.get_array_module(gate_values)
        T, _, B, u = gate_values.shape
        gY, (dh,) = self._upstream(gys, H)
        gate_grads = self.gates.grad(gate_values[:, :2])
        gate_grads[:, 0] *= H[:-1] - gate_values[:, 2]  # d z_z = dh * (h_{t-1} - h~) * z'
        if self.reset_after:
            gate_grads[:, 1] *= recurrent_part  # d z_r = d a_h * (h U_h + b_hh) * r'
        candidate_act_grads = _derivative(self.act, gate_values[:, 2])
        UT = xp.ascontiguousarray(self.U.T)  # rows [z, r] feed zr's gradients, [h~] the part's
        # gradients of the input projection [z, r, h~], and of the recurrent part
        preact_grads = xp.empty((T, B, 3 * u), gate_values.dtype)
        recurrent_part_grads = xp.empty_like(recurrent_part)
        for t in reversed(range(T)):
            if gY is not None:
                dh += gY[t]
            dh, kept = self._split(t, dh)
            step_grads = preact_grads[t].reshape(B, 3, u).transpose(1, 0, 2)  # gate-major view
            xp.multiply(dh, gate_grads[t, 0], out=step_grads[0])
            dh_direct = dh * gate_values[t, 0]
            d_candidate = step_grads[2]  # d pre-activation of h~
            xp.subtract(dh, dh_direct, out=d_candidate)
            d_candidate *= candidate_act_grads[t]
            if self.reset_after:
                xp.multiply(d_candidate, gate_grads[t, 1], out=step_grads[1])
                xp.multiply(d_candidate, gate_values[t, 1], out=recurrent_part_grads[t])
                g = preact_grads[t, :, :2 * u] @ UT[:2 * u]
                g += recurrent_part_grads[t] @ UT[2 * u:]
            else:
                d_reset_h = recurrent_part_grads[t]  # d (r * h)
                xp.matmul(d_candidate, UT[2 * u:], out=d_reset_h)
                xp.multiply(d_reset_h, self._hidden(H, t), out=step_grads[1])
                step_grads[1] *= gate_grads[t, 1]
                g = preact_grads[t, :, :2 * u] @ UT[:2 * u]
                g += d_reset_h * gate_values[t, 1]
            dh = self._previous(g, kept)
            dh += dh_direct
        preact_grads = preact_grads.reshape(T * B, 3 * u)
        gx, gW, gbx = self._input_grads(preact_grads, self.W)
        recurrent_part_grads = recurrent_part_grads.reshape(T * B, u)
        if self.reset_after:  # recurrent_part = h U_h + b_hh
            gU = xp.concatenate([self._recurrent_grad(H, preact_grads[:, :2 * u]),
                                 self._recurrent_grad(H, recurrent_part_grads)], axis=1)
            gb = None if gbx is None else xp.stack(
                [gbx, xp.concatenate([gbx[:2 * u], recurrent_part_grads.sum(axis=0)])])
        else:  # recurrent_part = r * h feeds U_h
            gU_h = recurrent_part.reshape(T * B, u).T @ preact_grads[:, 2 * u:]
            gU = xp.concatenate([self._recurrent_grad(H, preact_grads[:, :2 * u]), gU_h], axis=1)
            gb = gbx
        return (gx, gW, gU, dh) + ((gb,) if gb is not None else ())


class Embedding(Function):
    """Rows of a table: ``W[indices]`` for integer ``indices`` of any shape (no gradient).

    Every index must lie in ``[0, len(W))``; ``name`` (the layer's) goes into the error.
    """

    def __init__(self, name="embedding"):
        self.name = name

    def forward(self, W, indices):
        if indices.size:
            low, high = int(indices.min()), int(indices.max())
            if low < 0 or high >= W.shape[0]:
                raise ValueError(
                    f"Embedding layer '{self.name}' received index {low if low < 0 else high}, "
                    f"outside the valid range [0, {W.shape[0] - 1}] for input_dim={W.shape[0]}. "
                    "Indices must be integers in [0, input_dim).")
        self.shape, self.indices = W.shape, indices
        return W[indices]

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        gW = xp.zeros(self.shape, gy.dtype)
        # NOTE: add.at sums the rows of repeated indices; flat indices take its fast path.
        backend.scatter_add(gW, self.indices.reshape(-1), gy.reshape(-1, self.shape[-1]))
        return gW, None


def embedding(W, indices, name="embedding"):
    """Looks up rows of ``W`` (input_dim, output_dim) for integer ``indices``.

    Args:
        W: the table, a Tensor.
        indices: integer Tensor or array; each in ``[0, input_dim)``, else a ValueError
            naming the layer ``name``.

    Returns:
        a Tensor of shape ``indices.shape + (output_dim,)``.
    """
    return Embedding(name)(W, indices)


def _run(op, x, kernel, recurrent_kernel, bias, initial_state):
    """Runs ``op`` and returns [output, *final states]; output is the sequence or h."""
    if initial_state is None:
        data = x.data if isinstance(x, Tensor) else x
        zeros = backend.get_array_module(data).zeros(
            (data.shape[0], recurrent_kernel.shape[0]), recurrent_kernel.dtype)
        initial_state = [zeros] * op.n_states
    outs = op(x, kernel, recurrent_kernel, *initial_state, *([] if bias is None else [bias]))
    return list(outs) if op.return_sequences else [outs[0], *outs]


def simple_rnn(x, kernel, recurrent_kernel, bias=None, initial_state=None, **options):
    """SimpleRNN over ``x`` (batch, steps, features); ``options`` as ``_Recurrence``.

    Returns:
        [output, h]: output is the sequence when ``return_sequences`` else h.
    """
    return _run(SimpleRNN(**options), x, kernel, recurrent_kernel, bias, initial_state)


def lstm(x, kernel, recurrent_kernel, bias=None, initial_state=None, **options):
    """LSTM over ``x`` (batch, steps, features); ``initial_state`` is [h0, c0] or None.

    Returns:
        [output, h, c]: output is the sequence when ``return_sequences`` else h.
    """
    return _run(LSTM(**options), x, kernel, recurrent_kernel, bias, initial_state)


def gru(x, kernel, recurrent_kernel, bias=None, initial_state=None, reset_after=True, **options):
    """GRU over ``x`` (batch, steps, features); bias (2, 3u) if reset_after else (3u,).

    Returns:
        [output, h]: output is the sequence when ``return_sequences`` else h.
    """
    return _run(GRU(reset_after, **options), x, kernel, recurrent_kernel, bias, initial_state)
