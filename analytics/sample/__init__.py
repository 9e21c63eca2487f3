"""Deterministic generator of the embedded sample: "Kestrel Commerce", a multi-cloud company in FOCUS.

Grain: one line item per resource per hour for virtual machines and database instances, per day for
storage, network and everything else, per month for commitment fees, support, tax and credits.
Money is in each provider's billing currency (AWS and Google Cloud in USD, Azure in EUR).

The same (rows, months, seed, as_of) always builds identical line items: every provider-month draws
from its own random stream, so the chunking never changes the data. Rows go through the real
loader (`store_rows`), one provider-month per call, so tag sets, provenance and the daily rollup are
exactly what an ingest produces, and memory stays bounded at any size.

What is in it, so every page has something true to show:
- 3 providers with several accounts each (incl. `network-hub` and `security`), 12 teams in 3 business
  units (`BUSINESS_UNIT`, deliberately not a tag), messy tags (env spelled many ways, `Team` and
  `Environment` keys on some resources, ~12% of spend untagged);
- an AWS Compute Savings Plan, EC2 Reserved Instances, an Azure reservation and a GCP committed use
  discount, with Purchase, covered (Used) and Unused rows, covering ~60% of VM spend;
- credits, one refund (a Correction), tax, AWS Support, a marketplace vendor, shared network and
  security costs, ~2% monthly growth, weekly seasonality, noise, and injected anomalies listed in
  meta `sample_anomalies`;
- tables `utilization` (hourly, last 60 days, every VM; some oversized, a few idle), `budgets` (per
  team per month) and `business_metrics` (daily orders and active users).

The machine fleet is small at the default size (a few dozen VMs and databases, since each runs 24 line
items a day), so they are production sizes, and most of the ~$170-190k a month sits in daily rows sized like
a real 12-team company: object storage, data transfer, BigQuery, containers (Fargate, GKE Autopilot), logs.
`rows` scales the company. Below ~25 line items per window hour the core fleet sets a floor on the size.
Package layout: company and catalog (what exists and its prices), window, pool, resources, commitments
and plan (who runs what, when), usage and charges (the line items), tables (utilisation, budgets,
business metrics), load and build (staging through the real loader).
"""

from analytics.sample.build import SampleSummary, build_sample, remove_sample
from analytics.sample.company import BUSINESS_UNIT, COST_CENTER, DEFAULT_ROWS, TEAMS

__all__ = ["BUSINESS_UNIT", "COST_CENTER", "DEFAULT_ROWS", "TEAMS", "SampleSummary", "build_sample", "remove_sample"]
