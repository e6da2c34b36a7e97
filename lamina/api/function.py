"""``lamina.function``: a ``tf.function``-compatible decorator that runs the step eagerly.

It accepts TensorFlow's arguments (``jit_compile``, ``reduce_retracing``, ``input_signature``,
...) and calls the Python function as written. It is the place where a compiled step can
plug in later (STYLE 12: a compiled step replays what the eager step does).
"""
import functools
import types


class EagerFunction:
    """A Python function wrapped by ``lamina.function``; calling it calls the function.

    Attributes:
        python_function: the wrapped function.
        input_signature, jit_compile, reduce_retracing: the options given (recorded only).
    """

    def __init__(self, python_function, input_signature=None, jit_compile=None,
                 reduce_retracing=False, name=None):
        if not callable(python_function):
            raise TypeError(f"lamina.function expects a callable, got "
                            f"{type(python_function).__name__}: {python_function!r}.")
        self.python_function = python_function
        self.input_signature = input_signature
        self.jit_compile = jit_compile
        self.reduce_retracing = reduce_retracing
        self.name = name or getattr(python_function, "__name__", "function")
        functools.update_wrapper(self, python_function)

    def __call__(self, *args, **kwargs):
        return self.python_function(*args, **kwargs)

    def __get__(self, instance, owner=None):
        # as a method: bind like a plain function does
        return self if instance is None else types.MethodType(self, instance)

    def experimental_get_tracing_count(self):
        """0: lamina never traces."""
        return 0


def function(func=None, input_signature=None, autograph=True, jit_compile=None,
             reduce_retracing=False, experimental_implements=None,
             experimental_autograph_options=None, experimental_attributes=None,
             experimental_relax_shapes=None, experimental_compile=None,
             experimental_follow_type_hints=None, name=None):
    """Decorator compatible with ``tf.function``: ``@lamina.function`` or
    ``@lamina.function(jit_compile=True)``. The function runs eagerly.

    Args:
        func: the function to wrap (absent when used with arguments).
        input_signature, autograph, jit_compile, reduce_retracing, experimental_*: accepted
            for TensorFlow compatibility and recorded; they change nothing.
        name: optional name.

    Returns:
        An ``EagerFunction`` (or a decorator that makes one).
    """
    def wrap(f):
        return EagerFunction(f, input_signature, jit_compile, reduce_retracing, name)
    return wrap if func is None else wrap(func)
