"""Coverage of the analysis' 95 % intervals by simulation, each next to the method it replaced.

    PYTHONPATH=$PWD python -m bench.coverage [--reps 4000] [--quick]

A finite population of customers has two raking variables with skewed margins (age band, region) and a latent
satisfaction that rises with age and differs by region; every scored item, the overall satisfaction item and the
0-10 recommendation item follow from it (5 % of answers missing). A *raked* sample is drawn with replacement
with selection odds exp(strength * (a_age + b_region)) (the young and the north over-represented), then raked
to the population margins; an *unraked* sample is a simple random sample analysed without weights. The truth is
the population's own index / satisfaction rate / NPS. Old and new intervals come from the same samples.

The NPS rows draw multinomial samples directly over a grid of promoter / detractor shares. Old methods:
fixed-weight linearisation (index), Wilson on Kish's n_eff (rate), the normal interval (NPS); new: the
calibrated variance (docs/methods.md 10.1-10.2) and the adjusted Wald interval (10.3). ``diff`` = new - old.
A raked sample that misses a margin category entirely cannot be raked and is redrawn.

`tests/analytics/test_interval_coverage.py` runs a small, seeded slice of the same simulation.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from analytics.data import ResponseData
from analytics.inference import z_quantile
from analytics.loyalty import nps_interval
from analytics.satisfaction_rate import satisfaction_rate
from analytics.scoring import item_scoring
from analytics.survey_weights import rake_data
from analytics.tree import compute_tree
from survey_defs.schema import SurveyDefinition

__all__ = ["Population", "coverage_definition", "draw", "make_population", "nps_coverage", "replicate"]

AGE = ("young", "mid", "old")
REGION = ("north", "south", "west")
AGE_SHARES = (0.2, 0.35, 0.45)
REGION_SHARES = (0.5, 0.3, 0.2)
AGE_SELECTION = (1.0, 0.0, -1.0)  # log selection odds per unit of strength: the young answer more
REGION_SELECTION = (0.5, 0.0, -0.5)
AGE_EFFECT = (-0.6, 0.0, 0.6)  # latent satisfaction: older customers are more satisfied
REGION_EFFECT = (0.3, 0.0, -0.4)


def coverage_definition() -> SurveyDefinition:
    """A one-brand survey: age and region (raking variables), a two-level tree over q1..q4, sat and rec."""
    lab = {"en": ["1", "2", "3", "4", "5"]}
    return SurveyDefinition.model_validate({
        "slug": "coverage", "title": {"en": "Coverage"},
        "scales": {"sat5": {"points": 5, "labels": lab},
                   "ten": {"points": 10, "scoring": "linear", "labels": {"en": [str(i) for i in range(1, 11)]}},
                   "nps11": {"points": 11, "min": 0, "scoring": "linear", "top_box": 2,
                             "labels": {"en": [str(i) for i in range(11)]}}},
        "sections": [
            {"id": "profile", "title": {"en": "Profile"}, "items": [
                {"id": "age", "type": "choice", "text": {"en": "Age"},
                 "options": [{"code": c, "label": {"en": c}} for c in AGE]},
                {"id": "region", "type": "choice", "text": {"en": "Region"},
                 "options": [{"code": c, "label": {"en": c}} for c in REGION]}]},
            {"id": "rating", "title": {"en": "Rating"}, "per_brand": True, "items": [
                {"id": f"q{j}", "scale": "ten" if j == 4 else "sat5", "text": {"en": f"Q{j}"}} for j in range(1, 5)]},
            {"id": "overall", "title": {"en": "Overall"}, "items": [
                {"id": "sat", "scale": "sat5", "text": {"en": "Overall"}},
                {"id": "rec", "type": "nps", "scale": "nps11", "text": {"en": "Recommend"}}]},
        ],
        "brands": [{"id": "a", "own": True, "name": {"en": "A"}}],
        "indicators": {"id": "csi", "children": [
            {"id": "quality", "weight": 0.6, "children": [
                {"id": "n1", "item": "q1", "weight": 0.5}, {"id": "n2", "item": "q2", "weight": 0.5}]},
            {"id": "service", "weight": 0.4, "children": [
                {"id": "n3", "item": "q3", "weight": 0.7}, {"id": "n4", "item": "q4", "weight": 0.3}]}]},
        "loyalty": {"satisfaction_item": "sat", "nps_item": "rec", "defection_max": 2, "loyalty_min": 5},
    })


MARGINS = {"age": dict(zip(AGE, AGE_SHARES, strict=True)), "region": dict(zip(REGION, REGION_SHARES, strict=True))}


@dataclass(frozen=True, eq=False)
class Population:
    """The finite population, its selection distribution for raked samples and its true figures."""

    data: ResponseData
    selection_cdf: NDArray[np.float64]
    index: float
    rate: float


def make_population(size: int = 60_000, strength: float = 1.0, effect: float = 1.0, seed: int = 7) -> Population:
    """A population of ``size`` with the module's margins; ``effect`` scales how much satisfaction depends on
    the raking variables, ``strength`` how unequal the selection (and so the raked weights) is."""
    d = coverage_definition()
    rng = np.random.default_rng(seed)
    age = rng.choice(3, size, p=AGE_SHARES)
    region = rng.choice(3, size, p=REGION_SHARES)
    eta = effect * (np.take(AGE_EFFECT, age) + np.take(REGION_EFFECT, region)) + 0.8 * rng.standard_normal(size)
    cols = [age, region]
    for j in range(1, 7):
        lo, hi = (1, 10) if j == 4 else (0, 10) if j == 6 else (1, 5)
        mid, spread = (lo + hi) / 2 + (1.2 if j == 6 else 0.0), (hi - lo) / 4
        x = np.clip(np.rint(mid + spread * (0.8 * eta + 0.6 * rng.standard_normal(size))), lo, hi)
        if j <= 4:
            x[rng.random(size) < 0.05] = -1  # missing answers
        cols.append(x)
    resp = np.column_stack([cols[0], cols[1], cols[6], cols[7]]).astype(np.int16)
    brand = np.column_stack(cols[2:6]).astype(np.int16)[:, None, :]
    data = ResponseData.from_arrays(d, resp, brand)
    sel = np.exp(strength * (np.take(AGE_SELECTION, age) + np.take(REGION_SELECTION, region)))
    cdf = np.cumsum(sel) / sel.sum()
    index = compute_tree(d, data, respondent_level=False).index.value
    rate = satisfaction_rate(data.codes("sat"), item_scoring(d, "sat"), 2).value
    assert index is not None and rate is not None
    return Population(data, cdf, float(index), float(rate))


def draw(pop: Population, n: int, rng: np.random.Generator, selective: bool) -> ResponseData:
    """n respondents with replacement: by the selection odds (``selective``) or uniformly."""
    if selective:
        idx = np.minimum(np.searchsorted(pop.selection_cdf, rng.random(n)), pop.data.n - 1)
    else:
        idx = rng.integers(0, pop.data.n, n)
    return pop.data.take(idx)


def replicate(pop: Population, n: int, rng: np.random.Generator, raked: bool) -> dict[str, tuple[bool, bool]]:
    """One sample: per estimator, whether the (old, new) interval covers the truth.

    Raked: the sample is raked to the margins; old = fixed-weight intervals, new = calibrated. Unraked: a simple
    random sample without weights; old and new are the same interval (checked for coverage, not compared).
    """
    d = pop.data.definition
    rule = item_scoring(d, "sat")
    cal = None
    for _ in range(100):  # a raked sample needs every margin category: redraw the (rare) ones that miss one
        s = draw(pop, n, rng, selective=raked)
        if not raked:
            break
        try:
            s, res = rake_data(s, MARGINS)
        except ValueError:
            continue
        cal = res.calibration()
        break
    out: dict[str, tuple[bool, bool]] = {}
    for what, truth, fn in (
        ("index", pop.index, lambda c: compute_tree(d, s, respondent_level=False, calibration=c).index.ci),
        ("rate", pop.rate, lambda c: satisfaction_rate(s.codes("sat"), rule, 2, s.weight, calibration=c).ci),
    ):
        old = fn(None)
        new = fn(cal) if cal is not None else old
        out[what] = (old[0] <= truth <= old[1], new[0] <= truth <= new[1])
    return out


def nps_coverage(n: int, p_promoter: float, p_detractor: float, reps: int, rng: np.random.Generator,
                 conf: float = 0.95) -> tuple[float, float]:
    """Coverage of the old normal (Wald) NPS interval and the new adjusted Wald one, vectorised over reps."""
    counts = rng.multinomial(n, [p_promoter, p_detractor, 1 - p_promoter - p_detractor], size=reps)
    xp, xd = counts[:, 0].astype(float), counts[:, 1].astype(float)
    truth = 100 * (p_promoter - p_detractor)
    pp, pd_ = xp / n, xd / n
    h = z_quantile(conf) * 100 * np.sqrt((pp + pd_ - (pp - pd_) ** 2) / n)
    v = 100 * (pp - pd_)
    old = (np.maximum(v - h, -100) <= truth) & (truth <= np.minimum(v + h, 100))
    lo, hi = nps_interval(xp, xd, float(n), conf)
    new = (lo <= truth) & (truth <= hi)
    return float(old.mean()), float(new.mean())


def _row(name: str, setting: str, old: float, new: float, reps: int) -> str:
    return f"{name:<6} {setting:<40} {100 * old:6.1f} {100 * new:6.1f} {100 * (new - old):+6.1f}   {reps}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3000, help="replications per raked/unraked setting")
    ap.add_argument("--nps-reps", type=int, default=20_000)
    ap.add_argument("--quick", action="store_true", help="a small grid")
    args = ap.parse_args()
    t0 = time.perf_counter()
    mc = 100 * np.sqrt(0.95 * 0.05 / args.reps)
    print(f"95 % intervals; coverage in percent (Monte-Carlo s.e. {mc:.2f} at {args.reps} reps, "
          f"{100 * np.sqrt(0.95 * 0.05 / args.nps_reps):.2f} at {args.nps_reps} for NPS)")
    print(f"{'figure':<6} {'setting':<40} {'old':>6} {'new':>6} {'diff':>6}   reps")
    rng = np.random.default_rng(20240601)
    ns = (100, 300) if args.quick else (100, 300, 1000)
    # (selection strength, how strongly satisfaction follows the margins)
    settings = ((1.0, 2.0),) if args.quick else ((0.5, 1.0), (1.0, 1.0), (1.0, 2.0), (1.5, 1.0))
    for k_set, (strength, effect) in enumerate(settings):
        pop = make_population(strength=strength, effect=effect)
        for n in ns:
            for raked in (True, False):
                if not raked and k_set:
                    continue
                hits = {"index": np.zeros(2), "rate": np.zeros(2)}
                for _ in range(args.reps):
                    for k, (a, b) in replicate(pop, n, rng, raked).items():
                        hits[k] += (a, b)
                for k, h in hits.items():
                    setting = (f"n={n} raked strength={strength} effect={effect}" if raked
                               else f"n={n} unraked (SRS) effect={effect}")
                    print(_row(k, setting, h[0] / args.reps, h[1] / args.reps, args.reps), flush=True)
    for n in (30, 100, 250):
        for pp, pd_ in ((0.3, 0.3), (0.5, 0.2), (0.6, 0.1), (0.7, 0.05), (0.2, 0.5), (0.85, 0.05)):
            old, new = nps_coverage(n, pp, pd_, args.nps_reps, rng)
            print(_row("nps", f"n={n} P={pp:.2f} D={pd_:.2f}", old, new, args.nps_reps), flush=True)
    print(f"({time.perf_counter() - t0:.0f} s)")


if __name__ == "__main__":
    main()
