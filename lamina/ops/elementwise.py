"""Elementwise differentiable ops. Gradients come back in the broadcast shape;
the engine sums them to each input's shape."""
from lamina import backend
from lamina.autograd import Cast, Function


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, gy * self.a


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        ga = gy / self.b
        gb = -ga * self.a / self.b if self.needs_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy


class Pow(Function):
    """a ** b for a tensor and a tensor or constant exponent."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a ** b
        return self.y

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        ga = gy * self.b * self.a ** (self.b - 1) if self.needs_grad[0] else None
        gb = gy * self.y * xp.log(xp.where(self.a > 0, self.a, 1)) if self.needs_grad[1] else None
        return ga, gb


class Exp(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return backend.get_array_module(x).log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).sqrt(x)
        return self.y

    def backward(self, gy):
        return gy * 0.5 / self.y


class Abs(Function):
    def forward(self, x):
        self.x = x
        return backend.get_array_module(x).abs(x)

    def backward(self, gy):
        return gy * backend.get_array_module(gy).sign(self.x)


class Tanh(Function):
    def forward(self, x):
        self.y = backend.get_array_module(x).tanh(x)
        return self.y

    def backward(self, gy):
        return gy * (1 - self.y * self.y)


class Sigmoid(Function):
    def forward(self, x):
        xp = backend.get_array_module(x)
        # NOTE: 0.5 * (1 + tanh(x / 2)) equals 1 / (1 + exp(-x)) and never overflows.
        self.y = 0.5 * (1 + xp.tanh(0.5 * x))
        return self.y

    def backward(self, gy):
        return gy * self.y * (1 - self.y)


class Erf(Function):
    def forward(self, x):
        self.x = x
        return backend.erf(x)

    def backward(self, gy):
        xp = backend.get_array_module(gy)
        return gy * (2 / xp.sqrt(xp.pi)) * xp.exp(-self.x * self.x)


class Maximum(Function):
    """Elementwise max; on ties the gradient goes to the first input."""

    def forward(self, a, b):
        self.mask = a >= b
        return backend.get_array_module(a).maximum(a, b)

    def backward(self, gy):
        return gy * self.mask, gy * ~self.mask


class Minimum(Function):
    """Elementwise min; on ties the gradient goes to the first input."""

    def forward(self, a, b):
        self.mask = a <= b
        return backend.get_array_module(a).minimum(a, b)

    def backward(self, gy):
        return gy * self.mask, gy * ~self.mask


class Where(Function):
    """``a`` where ``condition`` is true, else ``b``."""

    def forward(self, condition, a, b):
        self.condition = condition.astype(bool)
        return backend.get_array_module(a).where(self.condition, a, b)

    def backward(self, gy):
        return None, gy * self.condition, gy * ~self.condition


class Clip(Function):
    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, x):
        self.mask = (x >= self.low) & (x <= self.high)
        return backend.get_array_module(x).clip(x, self.low, self.high)

    def backward(self, gy):
        return gy * self.mask


def add(a, b):
    return Add()(a, b)


def subtract(a, b):
    return Sub()(a, b)


def multiply(a, b):
    return Mul()(a, b)


def divide(a, b):
    return Div()(a, b)


def negative(x):
    return Neg()(x)


def power(a, b):
    return Pow()(a, b)


def square(x):
    return Mul()(x, x)


def exp(x):
    return Exp()(x)


def log(x):
    return Log()(x)


def sqrt(x):
    return Sqrt()(x)


def abs(x):  # noqa: A001 (mirrors numpy's name)
    return Abs()(x)


def tanh(x):
    return Tanh()(x)


def erf(x):
    return Erf()(x)


def maximum(a, b):
    return Maximum()(a, b)


def minimum(a, b):
    return Minimum()(a, b)


def where(condition, a, b):
    return Where()(condition, a, b)


def cast(x, dtype):
    """x in ``dtype``; gradients flow back only between float dtypes."""
    return Cast(dtype)(x)


def clip(x, low, high):
    return Clip(low, high)(x)


# name: (forward, derivative from x and y); y is the forward's output
_UNARY = {
    "sin": (lambda xp, x: xp.sin(x), lambda xp, x, y: xp.cos(x)),
    "cos": (lambda xp, x: xp.cos(x), lambda xp, x, y: -xp.sin(x)),
    "tan": (lambda xp, x: xp.tan(x), lambda xp, x, y: 1 + y * y),
    "arcsin": (lambda xp, x: xp.arcsin(x), lambda xp, x, y: 1 / xp.sqrt(1 - x * x)),
    "arccos": (lambda xp, x: xp.arccos(x), lambda xp, x, y: -1 / xp.sqrt(1 - x * x)),
    "arctan": (lambda xp, x: xp.arctan(x), lambda xp, x, y: 1 / (1 + x * x)),
    "sinh": (lambda xp, x: xp.sinh(x), lambda xp, x, y: xp.cosh(x)),
    "cosh": (lambda xp, x: xp.cosh(x), lambda xp, x, y: xp.sinh(x)),
    "arcsinh": (lambda xp, x: xp.arcsinh(x), lambda xp, x, y: 1 / xp.sqrt(x * x + 1)),
    "arccosh": (lambda xp, x: xp.arccosh(x), lambda xp, x, y: 1 / xp.sqrt(x * x - 1)),
    "arctanh": (lambda xp, x: xp.arctanh(x), lambda xp, x, y: 1 / (1 - x * x)),
    "log1p": (lambda xp, x: xp.log1p(x), lambda xp, x, y: 1 / (1 + x)),
    "expm1": (lambda xp, x: xp.expm1(x), lambda xp, x, y: y + 1),
}


class Unary(Function):
    """One of the elementwise functions of ``_UNARY``: y = f(x), gx = gy * f'(x)."""

    def __init__(self, name):
        self.f, self.df = _UNARY[name]

    def forward(self, x):
        self.x = x
        self.y = self.f(backend.get_array_module(x), x)
        return self.y

    def backward(self, gy):
        return gy * self.df(backend.get_array_module(gy), self.x, self.y)


def unary(name, x):
    """Applies the elementwise function ``name`` (a key of ``_UNARY``, e.g. 'sin')."""
    return Unary(name)(x)
