"""Daily spend forecasts with calibrated intervals, the backtests that score them, and month/quarter totals."""

from analytics.forecast.run import Forecast, PeriodTotal, forecast

__all__ = ["Forecast", "PeriodTotal", "forecast"]
