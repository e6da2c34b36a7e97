"""The reverse-mode autodiff engine: Tensor, Function, no_grad, gradcheck."""
from lamina.autograd.config import autocast_scope, enable_grad, is_grad_enabled, no_grad
from lamina.autograd.engine import backward, sum_to
from lamina.autograd.function import Cast, Function, as_tensor
from lamina.autograd.gradcheck import gradcheck
from lamina.autograd.tensor import Tensor, as_array
from lamina.autograd.variable import Variable

__all__ = ["Tensor", "Variable", "Function", "no_grad", "enable_grad", "is_grad_enabled",
           "backward", "sum_to", "gradcheck", "as_tensor", "as_array"]
