"""Keras 3's backend-agnostic API on lamina's engine: ``keras.ops`` (numpy, nn, core, math,
linalg families) and ``keras.random``.

Every function here is a thin wrapper: it takes Keras's argument names and defaults and
composes the engine's differentiable primitives (``lamina.ops``). ``lamina.keras.ops``
and ``lamina.keras.random`` re-export them.
"""
