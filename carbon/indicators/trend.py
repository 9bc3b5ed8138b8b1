"""The classic Mann-Kendall trend test and Sen's slope, as the textbooks compute them.

:func:`mann_kendall` follows Gilbert (1987, §16.4) step by step — S, the variance of S corrected for ties, Z with
the continuity correction and a two-sided p-value from the normal distribution — so that a reader can check each
number by hand. It is deliberately not Kendall's tau-b with an exact small-sample p-value (what
``scipy.stats.kendalltau`` returns): that variant is more liberal on short tied series.

References
----------
.. [1] H.B. Mann, "Nonparametric tests against trend", Econometrica 13 (1945) 245-259.
.. [2] R.M. Hirsch, J.R. Slack, R.A. Smith, "Techniques of trend analysis for monthly water quality data",
       Water Resources Research 18 (1982) 107-121.
.. [3] R.O. Gilbert, Statistical Methods for Environmental Pollution Monitoring, Van Nostrand Reinhold (1987),
       §16.4: S, Var(S) with ties, Z with continuity correction.
.. [4] P.K. Sen, "Estimates of the regression coefficient based on Kendall's tau", Journal of the American
       Statistical Association 63 (1968) 1379-1389.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

__all__ = ["MannKendall", "mann_kendall", "sen_slope"]


@dataclass(frozen=True)
class MannKendall:
    """The classic Mann-Kendall test of one series.

    Attributes
    ----------
    n : int
        Number of values.
    s : int
        S = Σ_{i<j} sign(x_j − x_i).
    var_s : float
        Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 over the groups of t tied values.
    z : float or None
        (S − 1)/√Var(S) for S > 0, (S + 1)/√Var(S) for S < 0, 0 for S = 0; None when Var(S) = 0 (all values tied).
    p : float or None
        Two-sided p-value from the standard normal distribution, 2 (1 − Φ(|Z|)).
    tau : float or None
        Kendall's tau-a, S / (n(n−1)/2).
    """

    n: int
    s: int
    var_s: float
    z: float | None
    p: float | None
    tau: float | None


def mann_kendall(values: np.ndarray) -> MannKendall:
    """The classic Mann-Kendall test of values in time order (equally spaced or not: only the order counts).

    Parameters
    ----------
    values : array
        The series in time order, without missing values.

    Returns
    -------
    MannKendall

    Examples
    --------
    >>> result = mann_kendall(np.array([105, 105, 106, 108, 108]))
    >>> result.s, round(result.var_s, 4), round(result.z, 4), round(result.p, 4)
    (8, 14.6667, 1.8278, 0.0676)
    """
    x = np.asarray(values, dtype="float64")
    n = len(x)
    # sign(x_j − x_i) for every pair i < j: the upper triangle of the difference matrix.
    upper = np.triu_indices(n, k=1)
    s = int(np.sign(x[None, :] - x[:, None])[upper].sum())
    _, tie_sizes = np.unique(x, return_counts=True)
    ties = float(sum(t * (t - 1) * (2 * t + 5) for t in tie_sizes if t > 1))
    var_s = (n * (n - 1) * (2 * n + 5) - ties) / 18
    pairs = n * (n - 1) / 2
    tau = s / pairs if pairs else None
    if var_s <= 0:
        return MannKendall(n=n, s=s, var_s=float(var_s), z=None, p=None, tau=tau)
    z = (s - 1) / math.sqrt(var_s) if s > 0 else (s + 1) / math.sqrt(var_s) if s < 0 else 0.0
    p = float(2 * stats.norm.sf(abs(z)))
    return MannKendall(n=n, s=s, var_s=float(var_s), z=float(z), p=p, tau=tau)


def sen_slope(years: np.ndarray, values: np.ndarray) -> float | None:
    """Sen's slope: the median of the pairwise slopes (x_j − x_i)/(t_j − t_i) [value unit per year]; None below 2."""
    if len(values) < 2:
        return None
    return float(stats.theilslopes(values, years).slope)
