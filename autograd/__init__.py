"""deltagrad's autograd: scalar reverse-mode automatic differentiation.

>>> from autograd import Value
>>> x = Value(3.0, label="x")
>>> y = x * x + 2 * x
>>> y.backward()
>>> x.grad
8.0

The scalar engine needs nothing but Python: numpy is imported only by :func:`autograd.compile` (and
:func:`hessian` returns a numpy array when numpy is installed). ``autograd.sum`` and
``autograd.compile`` are importable by name but left out of ``__all__``, so ``from autograd import *``
keeps Python's own ``sum`` and ``compile``.
"""

from . import _install_check

_install_check.check_install(__file__)  # another project's files in this folder: stop, naming them and the fix
_install_check.hint_shadows(__file__)  # a learner's nn.py in the way: its missing names say so

from . import ops as ops  # the built-in ops, declared into OPS
from .checks import check_backward, check_op
from .declare import register_op
from .errors import DivisionByZeroError, DomainError, FloatOverflowError, OutOfDomainError
from .forward import jacobian, jvp
from .functional import dot, grad, hessian, log_softmax, logsumexp, mean, softmax, value_and_grad
from .functional import sum as sum  # by name only: not in __all__, so * keeps the builtin
from .grad_mode import enable_grad, is_grad_enabled, no_grad
from .gradcheck import GradcheckError, gradcheck
from .lazy_compile import compile as compile  # by name only: not in __all__, so * keeps the builtin
from .registry import OPS, Op
from .value import Constant, Value, assigned_symbol, local_grads, op_of

__all__ = [
    "Value",
    "Constant",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "dot",
    "mean",
    "logsumexp",
    "softmax",
    "log_softmax",
    "grad",
    "value_and_grad",
    "hessian",
    "jvp",
    "jacobian",
    "gradcheck",
    "GradcheckError",
    "local_grads",
    "op_of",
    "assigned_symbol",
    "register_op",
    "OPS",
    "Op",
    "DomainError",
    "OutOfDomainError",
    "DivisionByZeroError",
    "FloatOverflowError",
    "check_op",
    "check_backward",
]
