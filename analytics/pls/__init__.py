"""ACSI-style PLS path modelling: estimation, 0-100 indices, quality criteria, bootstrap and IPMA.

``PLSPathModel`` is the estimator; everything is computed from the indicators' sufficient statistics
(means and covariance), so a fit costs one pass over the data. See :mod:`analytics.pls.algorithm`.
"""

from analytics.pls.bootstrap import BootstrapResult
from analytics.pls.exceptions import ConvergenceWarning
from analytics.pls.model import PLSPathModel
from analytics.pls.moments import MissingReport
from analytics.pls.summary import PLSSummary

__all__ = ["BootstrapResult", "ConvergenceWarning", "MissingReport", "PLSPathModel", "PLSSummary"]
