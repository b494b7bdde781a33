"""Run BLAS single-threaded in the calling thread (OpenBLAS ``openblas_set_num_threads_local``).

Our BLAS calls are skinny products streamed over row chunks (p = 24 columns) and per-thread bootstrap blocks.
On a 2-core machine that is also serving requests, OpenBLAS's own worker threads (wake, spin, barrier on every
call) were measured 2-6x *slower* than one thread, and erratic; parallelism is better taken at our level
(bootstrap blocks on a thread pool). OpenBLAS >= 0.3.27 has a thread-local thread count, so this touches no
other thread of the process. With another BLAS, or none found, it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@functools.cache
def _setters() -> tuple[Callable[[int], int], ...]:
    paths: list[str] = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                path = line.rsplit(None, 1)[-1]
                if "openblas" in path and ".so" in path and path not in paths:
                    paths.append(path)
    except OSError:
        return ()
    out = []
    for path in paths:
        try:
            fn = ctypes.CDLL(path).openblas_set_num_threads_local
        except (OSError, AttributeError):
            continue
        fn.restype = ctypes.c_int
        fn.argtypes = [ctypes.c_int]
        out.append(fn)
    return tuple(out)


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Within the block, BLAS calls from this thread use one thread; the previous setting is restored."""
    setters = _setters()
    previous = [fn(1) for fn in setters]
    try:
        yield
    finally:
        for fn, n in zip(setters, previous, strict=True):
            fn(n)
