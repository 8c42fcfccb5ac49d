"""deltagrad's nn: neurons, layers, MLPs and what training them needs."""

__all__: list[str] = []
