"""Budgets per owner and month (data/budgets.csv and the `budgets` table) and how spend tracks them."""

from analytics.budgets.file import BudgetError, default_path, needs_sync, parse, read_table, save, sync
from analytics.budgets.period import PeriodBudget, period_budget
from analytics.budgets.status import budget_status

__all__ = [
    "BudgetError",
    "PeriodBudget",
    "budget_status",
    "default_path",
    "needs_sync",
    "parse",
    "period_budget",
    "read_table",
    "save",
    "sync",
]
