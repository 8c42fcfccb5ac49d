"""deltagrad's viz: the computational graph with every node's δ."""

__all__: list[str] = []
