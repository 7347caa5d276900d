"""Numba kernels: pure functions over arrays, compiled with cache=True, no I/O.

Submodules are imported on demand (`from terminal.kernels import book`): importing one
compiles its kernels, or loads them from numba's cache, so this package imports nothing.
"""
