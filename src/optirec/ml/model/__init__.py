"""The model: the torch network, its numpy/numba serving port, item-to-item relations, content and the artifact."""
