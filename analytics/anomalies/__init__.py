"""Daily cost anomalies per service, account and owner (robust z-score after weekday seasonality,
with money and percentage gates), merged into events and explained by their root cause."""

from analytics.anomalies.detect import Settings, detect
from analytics.anomalies.events import Event, find_events
from analytics.anomalies.rootcause import Cause, explain

__all__ = ["Cause", "Event", "Settings", "detect", "explain", "find_events"]
