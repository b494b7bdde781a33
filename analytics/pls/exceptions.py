"""Warnings raised by the PLS path-model estimator."""

from __future__ import annotations


class ConvergenceWarning(UserWarning):
    """The PLS iteration stopped at ``max_iter`` before the outer weights settled.

    The estimates are returned (``converged_`` is ``False``) but should not be trusted; raise ``max_iter``
    or check the model for an ill-specified block. Mirrors ``sklearn.exceptions.ConvergenceWarning``.
    """
