"""Showback packs: finance-grade Excel workbooks per month (or range of months) and owner dimension,
that tie out to the source data to the cent; from the Showback page and `python -m analytics showback`."""
