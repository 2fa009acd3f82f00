"""Expected bands over an SLI's history, the points that leave them, and error-budget forecasts.

Pure: values and ``now`` in, bands and dates out. ``band`` fits (statsmodels' STL, imported when
a band is fitted), ``budget`` is date arithmetic.
"""

from slo_scout.core.forecast.band import Anomaly, Band, BandPolicy, ahead, anomalies, fit_band
from slo_scout.core.forecast.budget import BudgetForecast, Burn, forecast, sentence, wilson
from slo_scout.core.forecast.errors import InsufficientHistory

__all__ = [
    "Anomaly", "Band", "BandPolicy", "BudgetForecast", "Burn", "InsufficientHistory", "ahead",
    "anomalies", "fit_band", "forecast", "sentence", "wilson",
]
