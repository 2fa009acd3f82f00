"""Tail probabilities as surprises (``-log10 p``): the one unit every signal is scored in.

A surprise of 3 says "this had a one-in-a-thousand chance under the baseline". Poisson and
binomial tails come from their exact sums (log space, no scipy in the core); the normal tail
from ``erfc``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

_LOG10 = math.log(10.0)
# Past this, a tail probability says nothing more: the baseline was simply different.
MAX_SURPRISE = 30.0
# The least spread (surprise units) a standout is measured against, and the least difference
# between two surprises that counts as a move: where every other service is quiet, a small rise
# must not look large.
MIN_SPREAD = 1.0


def _logsumexp(values: Sequence[float]) -> float:
    top = max(values)
    if top == -math.inf:
        return top
    return top + math.log(sum(math.exp(v - top) for v in values))


def poisson_upper(count: int, mean: float) -> float:
    """Surprise of seeing ``count`` or more events where ``mean`` were expected."""
    if count <= 0 or (mean <= 0 and count <= 0):
        return 0.0
    if mean <= 0:
        return MAX_SURPRISE
    # P(X >= k) = 1 - P(X <= k-1); sum the upper terms directly when k > mean (no cancellation).
    if count <= mean:
        return 0.0
    terms = []
    log_mean = math.log(mean)
    k = count
    log_term = k * log_mean - mean - math.lgamma(k + 1)
    while True:
        terms.append(log_term)
        k += 1
        log_term += log_mean - math.log(k)
        if log_term < terms[0] - 40 or len(terms) > 10_000:
            break
    return min(MAX_SURPRISE, max(0.0, -_logsumexp(terms) / _LOG10))


def poisson_lower(count: int, mean: float) -> float:
    """Surprise of seeing ``count`` or fewer events where ``mean`` were expected."""
    if count >= mean:
        return 0.0
    log_mean = math.log(mean)
    terms = [k * log_mean - mean - math.lgamma(k + 1) for k in range(count + 1)]
    return min(MAX_SURPRISE, max(0.0, -_logsumexp(terms) / _LOG10))


def binomial_upper(count: int, trials: int, p: float) -> float:
    """Surprise of ``count`` or more successes in ``trials`` at success probability ``p``."""
    if count <= 0 or trials <= 0 or count <= trials * p:
        return 0.0
    p = min(max(p, 1e-12), 1 - 1e-12)
    lp, lq = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
        + k * lp + (trials - k) * lq
        for k in range(count, trials + 1)
    ]
    return min(MAX_SURPRISE, max(0.0, -_logsumexp(terms) / _LOG10))


def binomial_lower(count: int, trials: int, p: float) -> float:
    """Surprise of ``count`` or fewer successes in ``trials`` at success probability ``p``."""
    if trials <= 0 or count >= trials * p:
        return 0.0
    p = min(max(p, 1e-12), 1 - 1e-12)
    lp, lq = math.log(p), math.log1p(-p)
    terms = [
        math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1)
        + k * lp + (trials - k) * lq
        for k in range(0, count + 1)
    ]
    return min(MAX_SURPRISE, max(0.0, -_logsumexp(terms) / _LOG10))


def cantelli_upper(z: float) -> float:
    """Surprise of a value ``z`` standard deviations above the mean, for any distribution.

    Cantelli's inequality bounds the tail by ``1 / (1 + z^2)`` whatever the shape, so a metric
    with heavy tails (request bytes, p90 latencies) is not taken for an outlier as a normal
    tail would: ten deviations are a surprise of 2, a thousand one of 6.
    """
    if z <= 0:
        return 0.0
    return min(MAX_SURPRISE, math.log10(1.0 + z * z))


def normal_upper(z: float) -> float:
    """Surprise of a standard normal value at least ``z``."""
    if z <= 0:
        return 0.0
    tail = 0.5 * math.erfc(z / math.sqrt(2.0))
    if tail <= 0:
        return MAX_SURPRISE
    return min(MAX_SURPRISE, -math.log10(tail))


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        raise ValueError("median of no values")
    mid = n // 2
    return ordered[mid] if n % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def robust_z(value: float, baseline: Sequence[float]) -> float:
    """How many robust standard deviations (1.4826 MAD) ``value`` lies above the baseline median.

    A flat baseline (MAD 0) uses 1% of the median's magnitude as its spread, so a constant
    metric that moves is noticed, while a value equal to the constant is not.
    """
    centre = median(baseline)
    mad = median([abs(v - centre) for v in baseline]) * 1.4826
    spread = max(mad, 0.01 * abs(centre), 1e-9)
    return (value - centre) / spread


def quantile(ordered: Sequence[float], q: float) -> float:
    """The ``q`` quantile of sorted values (nearest rank)."""
    if not ordered:
        raise ValueError("quantile of no values")
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]
