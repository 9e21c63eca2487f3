"""Commitment discounts: coverage, utilisation and savings rate today (today.py, inventory.py) and
the what-if simulator that finds the reservation or savings plan to buy (demand.py, simulate.py,
optimise.py, plan.py). `kpis` is the cheap summary the Overview page shows."""

from analytics.commitments.today import Kpis, kpis

__all__ = ["Kpis", "kpis"]
