"""``PLSPathModel``: the scikit-learn-style estimator for an ACSI-style PLS path model.

The fit reads the data once for the indicators' means and covariance (:mod:`analytics.pls.moments`) and runs
the Wold/Lohmöller iteration on their correlation matrix (:mod:`analytics.pls.algorithm`). Construct scores
need a second pass over the data, so they are computed the first time ``construct_scores_`` is read, not by
``fit``. Quality criteria, indices and the IPMA are functions of the same sufficient statistics.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analytics.pls import ipma as _ipma
from analytics.pls import quality
from analytics.pls.algorithm import Estimates, fit_correlations, total_effects
from analytics.pls.exceptions import ConvergenceWarning
from analytics.pls.moments import Missing, MissingReport, Moments, scan, standardized_scores
from analytics.pls.spec import SCHEMES, ModelSpec, build_spec
from analytics.pls.summary import PLSSummary

if TYPE_CHECKING:
    from analytics.pls.bootstrap import BootstrapResult
    from survey_defs.schema import LatentModel

Bound = _ipma.Bound
IndexWeights = _ipma.IndexWeights
_PARAMS = ("blocks", "paths", "scheme", "mode", "missing", "max_iter", "tol", "scale")


class PLSPathModel:
    """Partial least squares path model (Wold 1982; Lohmöller 1989), the estimator behind the ACSI.

    Parameters
    ----------
    blocks : mapping construct -> list of item columns (the outer model).
    paths : list of (source, target) construct pairs (the inner model; must be acyclic).
    scheme : inner weighting scheme, ``"path"`` (default), ``"centroid"`` or ``"factorial"``.
    mode : outer mode per construct, ``"A"`` (reflective / correlation weights, default) or ``"B"``
        (formative / regression weights); a single string applies to all constructs.
    missing : how to treat missing cells, chosen explicitly: ``"mean"`` (replace a missing cell by its item's
        mean) or ``"casewise"`` (drop incomplete rows). The default ``None`` accepts only complete data and
        raises a ``ValueError`` naming the items with gaps otherwise. What was done is reported in
        ``missing_report_`` (method, rows used, cells imputed, rows dropped).
    max_iter : iteration cap; reaching it warns with :class:`ConvergenceWarning`.
    tol : stop when the largest absolute change in any outer weight, ``max_i |w_i(t) − w_i(t−1)|``, is below
        ``tol`` (default 1e-7, docs/methods.md section 5).
    scale : the items' declared scale bounds ``(min, max)`` (numbers, or mappings by item), the default for
        :meth:`index`, :meth:`indices`, :meth:`ipma` and the bootstrapped indices of :meth:`bootstrap`. Without
        it those methods need ``scale_min`` / ``scale_max``; the observed range is never used.

    Attributes
    ----------
    path_coefs_ : DataFrame, sources (rows) × targets (columns), 0 where there is no path.
    total_effects_, indirect_effects_ : DataFrame, same layout.
    outer_weights_, outer_loadings_ : Series by item (standardised; weights give unit-variance scores).
    cross_loadings_ : DataFrame, items × constructs.
    r2_, r2_adj_ : Series by endogenous construct; ``R²_adj = 1 − (1 − R²)(n − 1)/(n − k − 1)``.
    construct_scores_ : DataFrame of standardised scores (mean 0, sample variance 1), indexed like the rows
        used; computed from the fitted data on first access (the model keeps a reference to the frame given to
        ``fit``, not a copy, so do not modify it in place before reading the scores).
    construct_corr_ : DataFrame, construct correlations.
    item_means_, item_stds_ : Series by item, of the data the estimates rest on.
    n_obs_ : rows used. n_iter_ : iterations run. converged_ : whether the weights settled.
    missing_report_ : :class:`~analytics.pls.moments.MissingReport`.

    Notes
    -----
    Indicators are standardised with the sample (n − 1) standard deviation, initial outer weights are 1, and
    each construct's sign is fixed after convergence so that most of its loadings are positive. The
    algorithm and its formulas are in :mod:`analytics.pls.algorithm`; Tenenhaus, Esposito Vinzi, Chatelin &
    Lauro (2005) and Hair et al., *A Primer on PLS-SEM* (3rd ed., 2022) describe the same estimator.
    """

    def __init__(
        self,
        blocks: Mapping[str, Sequence[str]],
        paths: Sequence[tuple[str, str]],
        scheme: str = "path",
        mode: Mapping[str, str] | str | None = None,
        missing: Missing | None = None,
        max_iter: int = 300,
        tol: float = 1e-7,
        scale: tuple[Bound, Bound] | None = None,
    ) -> None:
        self.blocks = blocks
        self.paths = paths
        self.scheme = scheme
        self.mode = mode
        self.missing = missing
        self.max_iter = max_iter
        self.tol = tol
        self.scale = scale

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor arguments (scikit-learn's estimator protocol, so ``sklearn.base.clone`` works)."""
        return {k: getattr(self, k) for k in _PARAMS}

    def set_params(self, **params: Any) -> PLSPathModel:
        """Set constructor arguments by name (scikit-learn's estimator protocol); returns ``self``."""
        for k, v in params.items():
            if k not in _PARAMS:
                raise ValueError(f"invalid parameter {k!r} for PLSPathModel; valid: {', '.join(_PARAMS)}")
            setattr(self, k, v)
        return self

    @classmethod
    def from_definition(cls, model: LatentModel, **kw: Any) -> PLSPathModel:
        """Build the estimator from a survey definition's latent-model block.

        The definition's ``scheme`` and ``missing`` are used unless overridden; other keyword arguments
        (``max_iter``, ``tol``) pass through to the constructor.
        """
        kw.setdefault("scheme", model.scheme)
        kw.setdefault("missing", model.missing)
        return cls(
            blocks={c.id: list(c.items) for c in model.constructs},
            paths=[(s, t) for s, t in model.paths],
            mode={c.id: c.mode for c in model.constructs},
            **kw,
        )

    # ------------------------------------------------------------------ fitting

    def fit(self, data: pd.DataFrame) -> PLSPathModel:
        """Estimate the model on ``data`` (one row per respondent, one column per item); returns ``self``.

        Raises
        ------
        ValueError
            Naming the item or construct: an item absent from the data, non-numeric, all missing or constant;
            items with missing values when no ``missing`` method was chosen; an item in two blocks; a construct
            with no items or on no path; a path to an unknown construct; a cyclic inner model; fewer rows than
            the regressions need.
        """
        spec = self._validated_spec()
        moments, report = scan(data, spec.items, self.missing)
        need, who = spec.min_rows()
        if moments.n < need:
            raise ValueError(
                f"{moments.n} usable rows: construct {who!r} needs at least {need} for its regression"
            )
        R = moments.corr
        for k in spec.mode_b:
            sl = spec.block_slices[k]
            if np.linalg.cond(R[sl, sl]) > 1e12:
                raise ValueError(
                    f"construct {spec.constructs[k]!r} (mode B): its items are perfectly collinear"
                )
        est = fit_correlations(R[None], spec, self.scheme, self.max_iter, self.tol)
        if est.failed[0]:
            raise ValueError(
                "the PLS algebra broke down (a singular construct correlation matrix): check for constructs "
                "whose scores are perfectly collinear"
            )
        self._spec = spec
        self._moments = moments
        self._R = R
        self._est = est
        self._data = data
        self._scores: pd.DataFrame | None = None
        self._set_attributes(spec, moments, report, est)
        if not self.converged_:
            warnings.warn(
                f"PLS did not converge in {self.max_iter} iterations (tol={self.tol:g}); the estimates are "
                "unreliable",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    @property
    def construct_scores_(self) -> pd.DataFrame:
        """Standardised construct scores ``Y = Z W`` of the rows used (see the class docstring)."""
        if not hasattr(self, "_est"):
            raise AttributeError("this PLSPathModel is not fitted yet; call fit(data) first")
        if self._scores is None:
            spec = self._spec
            scores, index = standardized_scores(
                self._data, spec.items, self._moments, self._est.weights[0], self.missing_report_.method
            )
            self._scores = pd.DataFrame(scores, index=index, columns=list(spec.constructs))
        return self._scores

    def _validated_spec(self) -> ModelSpec:
        if self.scheme not in SCHEMES:
            raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {self.scheme!r}")
        if self.missing not in ("mean", "casewise", None):
            raise ValueError(f"missing must be 'mean', 'casewise' or None, got {self.missing!r}")
        if int(self.max_iter) < 1:
            raise ValueError(f"max_iter must be at least 1, got {self.max_iter!r}")
        if not float(self.tol) > 0:
            raise ValueError(f"tol must be positive, got {self.tol!r}")
        return build_spec(self.blocks, self.paths, self.mode)

    def _set_attributes(self, spec: ModelSpec, m: Moments, report: MissingReport, est: Estimates) -> None:
        names = list(spec.constructs)
        items = list(spec.items)

        def square(a: np.ndarray) -> pd.DataFrame:
            return pd.DataFrame(a, index=pd.Index(names, name="source"), columns=pd.Index(names, name="target"))

        self.path_coefs_ = square(est.paths[0])
        self.total_effects_ = square(est.total[0])
        self.indirect_effects_ = square(est.total[0] - est.paths[0])
        self.outer_weights_ = pd.Series(est.item_weights[0], index=items, name="weight")
        self.outer_loadings_ = pd.Series(est.loadings[0], index=items, name="loading")
        self.cross_loadings_ = pd.DataFrame(est.cross_loadings[0], index=items, columns=names)
        self.construct_corr_ = pd.DataFrame(est.construct_corr[0], index=names, columns=names)
        endo = list(spec.endogenous)
        r2 = est.r2[0, endo]
        k = np.array([len(spec.predecessors[i]) for i in endo])
        n = m.n
        self.r2_ = pd.Series(r2, index=[names[i] for i in endo], name="r2")
        self.r2_adj_ = pd.Series(1.0 - (1.0 - r2) * (n - 1) / (n - k - 1), index=self.r2_.index, name="r2_adj")
        self.item_means_ = pd.Series(m.mean, index=items, name="mean")
        self.item_stds_ = pd.Series(m.std, index=items, name="std")
        self.n_obs_ = n
        self.n_iter_ = int(est.n_iter[0])
        self.converged_ = bool(est.converged[0])
        self.missing_report_ = report

    def _check_fitted(self) -> None:
        if not hasattr(self, "_est"):
            raise AttributeError("this PLSPathModel is not fitted yet; call fit(data) first")

    # ------------------------------------------------------------------ indices and IPMA

    def _ranges(self, scale_min: Bound | None, scale_max: Bound | None) -> tuple[np.ndarray, np.ndarray]:
        """The items' scale bounds: those given, else the model's ``scale``; never the observed range."""
        if scale_min is None and scale_max is None and self.scale is not None:
            scale_min, scale_max = self.scale
        if scale_min is None or scale_max is None:
            raise ValueError("the items' scale bounds are needed for a 0-100 index: pass scale_min and scale_max, "
                             "or build the model with scale=(min, max) (a number or a mapping by item each)")
        return _ipma.item_ranges(self._spec.items, scale_min, scale_max)

    def indices(
        self, scale_min: Bound | None = None, scale_max: Bound | None = None, *,
        weights: IndexWeights = "standardized",
    ) -> pd.Series:
        """ACSI-style 0-100 index of every construct (formula in :mod:`analytics.pls.ipma`).

        ``scale_min`` / ``scale_max``: the items' declared scale bounds — one number for all items, or a mapping
        by item for items on different scales; when omitted, the model's ``scale``, and an error without one.
        ``weights``: ``"standardized"`` (default, docs/methods.md section 5: the outer weights rescaled to sum 1) or
        ``"unstandardized"`` (``w_i / sd(x̃_i)`` rescaled to sum 1, Fornell et al. 1996 / SmartPLS IPMA).
        """
        self._check_fitted()
        kind = _ipma.check_index_weights(weights)
        lo, hi = self._ranges(scale_min, scale_max)
        m = self._moments
        idx = _ipma.construct_indices(self._est.item_weights[0], m.mean, m.std, lo, hi, self._spec, kind)
        return pd.Series(idx, index=list(self._spec.constructs), name="index")

    def index(
        self, construct: str, scale_min: Bound | None = None, scale_max: Bound | None = None, *,
        weights: IndexWeights = "standardized",
    ) -> float:
        """ACSI-style 0-100 index of ``construct`` (issue 5, docs/methods.md section 5).

        The construct's outer weights ``outer_weights_`` are rescaled to sum 1 (``w̃``) and, with all items on
        one scale [``scale_min``, ``scale_max``], the index is ``(Σ w̃_i x̄_i − scale_min)/(scale_max −
        scale_min) · 100``; with per-item bounds, ``Σ w̃_i (x̄_i − min_i)/(max_i − min_i) · 100``.
        ``weights="unstandardized"`` uses ``w̃_i ∝ w_i / sd(x̃_i)`` instead (see :mod:`analytics.pls.ipma`).
        The bounds are the items' declared scale (given here or as the model's ``scale``), never the observed
        range; without either, a ``ValueError``.
        """
        self._check_fitted()
        if construct not in self._spec.constructs:
            raise ValueError(f"unknown construct {construct!r}")
        return float(self.indices(scale_min, scale_max, weights=weights)[construct])

    def index_weights(
        self,
        scale_min: Bound | None = None,
        scale_max: Bound | None = None,
        *,
        weights: IndexWeights = "standardized",
    ) -> pd.Series:
        """The rescaled weights ``w̃`` of every item (summing to 1 within each construct).

        Standardized weights do not depend on the scale bounds; unstandardized ones do (``sd(x̃_i)`` is on the
        0-100 rescaled item), so they need ``scale_min`` / ``scale_max``.
        """
        self._check_fitted()
        kind = _ipma.check_index_weights(weights)
        m = self._moments
        if kind == "standardized" and scale_min is None and scale_max is None:
            lo, hi = np.zeros(len(self._spec.items)), np.ones(len(self._spec.items))
        else:
            lo, hi = self._ranges(scale_min, scale_max)
        w = _ipma.rescaled_weights(self._est.item_weights[0], m.std, lo, hi, self._spec, kind)
        return pd.Series(w, index=list(self._spec.items), name="index_weight")

    def ipma(
        self, target: str, scale_min: Bound | None = None, scale_max: Bound | None = None, *,
        weights: IndexWeights = "standardized",
    ) -> pd.DataFrame:
        """Importance-performance map for ``target``: one row per driver (a construct with a total effect).

        ``performance`` is the driver's 0-100 index, exactly ``index(driver, scale_min, scale_max,
        weights=weights)``; ``importance`` is the driver's unstandardised total effect on the target — the
        change in the target's 0-100 score per point of the driver's 0-100 score, with the scores built from
        the same ``weights`` (OLS on the scores, chained along the paths; see :mod:`analytics.pls.ipma`).
        """
        self._check_fitted()
        if target not in self._spec.constructs:
            raise ValueError(f"unknown construct {target!r}")
        kind = _ipma.check_index_weights(weights)
        lo, hi = self._ranges(scale_min, scale_max)
        m = self._moments
        w = self._est.item_weights[0]
        unstd = _ipma.unstandardised_total(w, m.cov, lo, hi, self._spec, kind)
        idx = _ipma.construct_indices(w, m.mean, m.std, lo, hi, self._spec, kind)
        return _ipma.ipma_table(target, self._spec, self._est.total[0], unstd, idx)

    # ------------------------------------------------------------------ quality criteria

    def summary(self) -> PLSSummary:
        """Estimates and quality criteria as DataFrames (see :mod:`analytics.pls.quality` for formulas)."""
        self._check_fitted()
        spec, R, est = self._spec, self._R, self._est
        names = list(spec.constructs)
        w, lam, C = est.item_weights[0], est.loadings[0], est.construct_corr[0]
        alpha = quality.cronbach_alpha(R, spec)
        rc = quality.rho_c_ave(lam, spec)
        reliability = pd.concat([alpha, quality.rho_a(R, w, spec), rc], axis=1)
        ht = quality.htmt(R, spec)
        f2 = quality.f_squared(est.r2[0], spec, self._r2_without)
        vif_inner = quality.inner_vif(C, spec)
        paths = pd.DataFrame(
            [
                (s, t, self.path_coefs_.loc[s, t], f2.loc[s, t], vif_inner.loc[s, t])
                for s, t in spec.paths
            ],
            columns=["source", "target", "coef", "f2", "vif"],
        )
        outer = pd.DataFrame(
            {
                "construct": [names[k] for k in spec.item_construct],
                "mode": [spec.modes[k] for k in spec.item_construct],
                "weight": w,
                "loading": lam,
                "vif": quality.item_vif(R, spec).to_numpy(),
            },
            index=pd.Index(list(spec.items), name="item"),
        )
        effects = pd.DataFrame(
            [
                (s, t, self.path_coefs_.loc[s, t], self.indirect_effects_.loc[s, t], self.total_effects_.loc[s, t])
                for s in names
                for t in names
                if self._reach[names.index(s), names.index(t)]
            ],
            columns=["source", "target", "direct", "indirect", "total"],
        )
        rep = self.missing_report_
        info = pd.Series(
            {
                "n_obs": self.n_obs_,
                "scheme": self.scheme,
                "n_iter": self.n_iter_,
                "converged": self.converged_,
                "missing_method": rep.method,
                "n_rows": rep.n_rows,
                "n_cells_imputed": rep.n_imputed,
                "n_rows_dropped": rep.n_dropped,
                "missing": str(rep),
            },
            name="model",
        )
        return PLSSummary(
            info=info,
            paths=paths,
            r2=pd.concat([self.r2_, self.r2_adj_], axis=1),
            outer=outer,
            reliability=reliability,
            htmt=ht,
            htmt_pairs=quality.htmt_pairs(ht),
            fornell_larcker=quality.fornell_larcker(C, rc["AVE"], spec),
            cross_loadings=self.cross_loadings_,
            effects=effects,
        )

    @property
    def _reach(self) -> np.ndarray:
        """Which construct pairs are joined by a directed chain of paths."""
        return total_effects(self._spec.adjacency) > 0

    def _r2_without(self, reduced: ModelSpec | None, target: int) -> float:
        """R² of construct ``target`` (index in the full model) after re-estimating a reduced model."""
        if reduced is None:
            return 0.0
        name = self._spec.constructs[target]
        if name not in reduced.constructs:
            return 0.0
        t = reduced.constructs.index(name)
        if not reduced.predecessors[t]:
            return 0.0
        pos = {i: j for j, i in enumerate(self._spec.items)}
        sel = [pos[i] for i in reduced.items]
        Rr = self._R[np.ix_(sel, sel)]
        est = fit_correlations(Rr[None], reduced, self.scheme, self.max_iter, self.tol)
        return float(est.r2[0, t])

    # ------------------------------------------------------------------ bootstrap

    def bootstrap(
        self,
        n_boot: int = 5000,
        random_state: int | np.random.SeedSequence | None = None,
        n_jobs: int | None = -1,
        *,
        scale_min: Bound | None = None,
        scale_max: Bound | None = None,
        index_weights: IndexWeights = "standardized",
        ci: float = 0.95,
        data: pd.DataFrame | None = None,
    ) -> BootstrapResult:
        """Bootstrap standard errors, t values and percentile CIs (see :mod:`analytics.pls.bootstrap`).

        The 0-100 indices are bootstrapped when the items' scale bounds are known — ``scale_min`` /
        ``scale_max`` here or the model's ``scale`` (with ``index_weights`` as in :meth:`index`); without them
        the result has no ``indices`` group.
        ``data`` defaults to the frame given to ``fit`` (which the model keeps a reference to, not a copy).
        """
        from analytics.pls.bootstrap import run_bootstrap

        self._check_fitted()
        kind = _ipma.check_index_weights(index_weights)
        known = scale_min is not None or scale_max is not None or self.scale is not None
        ranges = self._ranges(scale_min, scale_max) if known else None
        return run_bootstrap(
            self,
            self._data if data is None else data,
            n_boot=n_boot,
            random_state=random_state,
            n_jobs=n_jobs,
            ranges=ranges,
            index_weights=kind,
            ci=ci,
        )

    def __repr__(self) -> str:
        return (
            f"PLSPathModel(constructs={list(self.blocks)}, paths={len(self.paths)}, scheme={self.scheme!r}, "
            f"missing={self.missing!r})"
        )
