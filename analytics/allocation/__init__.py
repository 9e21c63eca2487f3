"""Allocation: who owns each dollar. Rules (rules.py) are applied to the data (apply.py) into
tables every query reads; coverage and tag hygiene help users write them."""
