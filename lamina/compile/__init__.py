"""Compiled steps: record what one eager step does, then replay it (``jit_compile``).

The eager engine builds a graph of Tensors at every step and walks it backwards. A
compiled step does that work once per input signature and keeps only what the arithmetic
needs:

1. ``recorder``: the first two batches of a signature run the ordinary eager step while a
   Recorder notes every ``Function`` call (the op, its settings, the buffers it reads:
   batch arrays, weights, constants, earlier outputs) and the order of the backward calls.
   The two traces must agree, so a value computed outside the ops shows up. A weight the
   step writes with an op's output (BatchNormalization's moving statistics) is noted too.
2. ``plan``: later batches call the same ops' ``forward`` and ``backward`` on plain arrays
   in the recorded order: no Tensors, no graph, no heap walk. Random ops draw in
   ``forward``, so a replay draws the same numbers in the same order as eager; weight
   writes happen at the same point of the pass, in place.
3. ``flat``: the trainable weights live in one contiguous array and their gradients in
   another, so the optimizer updates every weight in one vectorised pass.
4. ``step``: per model, the plans by signature, retracing when the signature, the
   trainable flags, the weights' storage or the optimizer change, and running eagerly
   where a step cannot be replayed faithfully (with one warning under ``"auto"``).
5. ``custom_step``: a model's own ``train_step``/``test_step``, traced with its host-level
   calls (the tape's gradients, the optimizer update, the metric updates, what it returns)
   and replayed the same way.

The eager path (``Model.train_step``) stays the reference: tests compare the two.
"""
from lamina.compile.recorder import NotReplayable
from lamina.compile.step import CompiledSteps, JitCompileError

__all__ = ["CompiledSteps", "JitCompileError", "NotReplayable"]
