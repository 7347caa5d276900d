"""Arrays addressed by pointer inside compiled code.

The run kernel works on many books at once. Handing it each book's arrays in numba typed
lists costs about a microsecond per call (each list is unpickled when unboxed); handing it
one int64 array of their addresses costs nothing extra. `f64_matrix`/`i64_vector` turn an
address back into an array view. The caller keeps every addressed array alive and its
address current (terminal.services.books.BookStore does both).
"""

from __future__ import annotations

from typing import Any

from numba import njit, types
from numba.extending import intrinsic
from numba.np.numpy_support import carray


@intrinsic
def _f64_pointer(typingctx: Any, address: Any) -> Any:
    signature = types.CPointer(types.float64)(types.int64)  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@intrinsic
def _i64_pointer(typingctx: Any, address: Any) -> Any:
    signature = types.CPointer(types.int64)(types.int64)  # type: ignore[no-untyped-call]

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        return builder.inttoptr(args[0], context.get_value_type(sig.return_type))

    return signature, codegen


@njit(cache=True, nogil=True, inline="always")
def f64_matrix(address: int, rows: int, columns: int) -> Any:
    """The C-contiguous float64 (rows, columns) array at `address`."""
    return carray(_f64_pointer(address), (rows, columns))  # type: ignore[call-arg]


@njit(cache=True, nogil=True, inline="always")
def i64_vector(address: int, length: int) -> Any:
    """The int64 vector of `length` at `address`."""
    return carray(_i64_pointer(address), (length,))  # type: ignore[call-arg]
