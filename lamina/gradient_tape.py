"""GradientTape: TensorFlow's way to ask for gradients, over lamina's engine.

lamina records a graph for every operation on a Tensor that requires a gradient, so the
tape records nothing itself: it turns recording on, marks the tensors you ``watch``, and
``gradient`` runs the engine's backward pass from the target to the sources.
"""
from lamina import backend, tree
from lamina.autograd import Tensor, as_array, backward, enable_grad, no_grad

_active = []  # tapes inside their ``with`` block, outermost first


class GradientTape:
    """Records operations for automatic differentiation.

    Example:
        >>> with lamina.GradientTape() as tape:
        ...     loss = loss_fn(y, model(x))
        >>> grads = tape.gradient(loss, model.trainable_variables)

    Args:
        persistent: allow more than one ``gradient`` call (the graph is kept).
        watch_accessed_variables: accepted for TensorFlow compatibility; trainable
            variables are always watched.

    Nested tapes (second derivatives) are not supported: the backward pass runs on raw
    arrays and records no graph. ``gradient`` inside another tape's block raises
    ``NotImplementedError``.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched = []
        self._used = False
        self._recording = None

    def __enter__(self):
        self._recording = enable_grad()
        self._recording.__enter__()
        _active.append(self)
        return self

    def __exit__(self, *exc):
        _active.remove(self)
        self._recording.__exit__(*exc)
        self._recording = None

    def watch(self, tensor):
        """Makes the tape track ``tensor`` (a constant, or any nested structure of them)."""
        for t in tree.flatten(tensor):
            if not isinstance(t, Tensor):
                raise ValueError(f"GradientTape.watch expects Tensors or Variables, "
                                 f"got {type(t).__name__}: {t!r}. Convert it with "
                                 "lamina.convert_to_tensor first.")
            t.requires_grad = True
            self._watched.append(t)

    def watched_variables(self):
        """The tensors passed to ``watch``."""
        return list(self._watched)

    def stop_recording(self):
        """Context manager in which operations are not recorded."""
        return no_grad()

    def reset(self):
        """Forgets the watched tensors, so the tape can be used again."""
        self._watched = []
        self._used = False

    def gradient(self, target, sources, output_gradients=None,
                 unconnected_gradients="none"):
        """Computes the gradient of ``target`` with respect to each source.

        Args:
            target: a Tensor, or a nested structure of them (their gradients are summed).
                A non-scalar target is summed first, as in TensorFlow.
            sources: a Variable/Tensor, or any nested structure (list, dict, ...) of them.
            output_gradients: upstream gradients, one per target (default ones).
            unconnected_gradients: 'none' (None for a source the target does not depend
                on) or 'zero' (zeros instead).

        Returns:
            The gradients as Tensors, in the structure of ``sources``.
        """
        mode = str(getattr(unconnected_gradients, "value", unconnected_gradients)).lower()
        if mode not in ("none", "zero"):
            raise ValueError("unconnected_gradients must be 'none' or 'zero', "
                             f"got {unconnected_gradients!r}.")
        if self._used and not self.persistent:
            raise RuntimeError("A non-persistent GradientTape can only be used to compute one "
                               "set of gradients. Create it with GradientTape(persistent=True) "
                               "to call gradient() more than once.")
        if any(tape is not self for tape in _active):
            raise NotImplementedError(
                "Nested GradientTapes (gradients of gradients) are not supported: lamina's "
                "backward pass runs on raw arrays and records no graph. Compute second "
                "derivatives by finite differences, or call gradient() outside the outer tape.")
        self._used = True
        flat = tree.flatten(sources)
        for s in flat:
            if not isinstance(s, Tensor):
                raise ValueError(f"GradientTape.gradient sources must be Variables or Tensors, "
                                 f"got {type(s).__name__}: {s!r}.")
        targets = tree.flatten(target)
        upstream = (tree.flatten(output_gradients) if output_gradients is not None
                    else [None] * len(targets))
        totals = {}
        for t, gy in zip(targets, upstream):
            if not isinstance(t, Tensor) or not t.requires_grad:
                continue
            gy = None if gy is None else as_array(gy, t.dtype)
            found = backward(t, gy, retain_graph=self.persistent, inputs=flat)
            for key, g in found.items():
                if g is not None:
                    totals[key] = g if totals.get(key) is None else totals[key] + g
        grads = []
        for s in flat:
            g = totals.get(id(s))
            if g is None and mode == "zero":
                g = backend.get_array_module(s.data).zeros(s.shape, s.dtype)
            grads.append(None if g is None else Tensor._wrap(g.astype(s.dtype, copy=False)))
        return tree.pack_sequence_as(sources, grads) if tree.is_nested(sources) else grads[0]

