"""deltagrad's nn: neurons, layers, MLPs and what training them needs."""

from .parameter import Parameter

__all__ = ["Parameter"]
