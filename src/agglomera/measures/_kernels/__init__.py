"""Small numba kernels on plain numpy arrays, each with a pure-numpy twin."""
