"""The resource table: ids, names, SKUs and messy tags of every planned resource, and its utilisation profile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from analytics.sample.catalog import OFFERINGS, Offering
from analytics.sample.company import COST_CENTER, PROVIDER_INDEX, PROVIDERS, Account
from analytics.sample.ids import digest, sku_id, stable_code
from analytics.sample.pool import choice
from analytics.sample.window import Window

ENV_SPELLINGS: dict[str, tuple[tuple[str, float], ...]] = {
    "prod": (("prod", 0.55), ("Production", 0.2), ("PRD", 0.1), ("Prod", 0.15)),
    "staging": (("staging", 0.6), ("stg", 0.25), ("Staging", 0.15)),
    "dev": (("dev", 0.6), ("Development", 0.25), ("DEV", 0.15)),
}
UNTAGGED_P = {"prod": 0.02, "staging": 0.06, "dev": 0.12}
NO_TEAM_P = 0.025
ENV_SHORT = {"prod": "prod", "staging": "stg", "dev": "dev"}
UTILIZATION_DAYS = 60
UTIL_NORMAL, UTIL_OVER, UTIL_IDLE = 0, 1, 2


def _tags(provider: str, team: str, app: str, env: str, draws: tuple[float, ...]) -> str | None:
    """Tags as people really write them: env spelled many ways, some keys capitalised, some missing."""
    u_missing, u_spelling, u_style, u_cost_center = draws
    if not team:
        return None
    spellings = ENV_SPELLINGS[env]
    spelled = spellings[choice(u_spelling, [w for _, w in spellings])][0]
    if provider == "gcp":
        spelled = spelled.lower()  # GCP labels only allow lower case
    untagged = UNTAGGED_P[env]
    if u_missing < untagged:
        return None
    if u_missing < untagged + NO_TEAM_P:
        return json.dumps({"env": spelled, "created-by": "terraform"})
    if provider == "gcp":
        team_key, env_key = "team", ("env" if u_style < 0.8 else "environment")
    else:
        styles = (("team", "env"), ("Team", "Environment"), ("team", "Environment"))
        weights = (0.75, 0.15, 0.10) if provider == "aws" else (0.35, 0.45, 0.20)
        team_key, env_key = styles[choice(u_style, weights)]
    tags = {team_key: team, env_key: spelled, "app": app}
    if u_cost_center < 0.9:
        tags["cost-center"] = COST_CENTER[team]
    return json.dumps(tags)


def _resource_id(
    o: Offering, account: Account, region: str, zone: str | None, name: str, app: str, env: str, h: str
) -> str | None:
    if not o.id_template:
        return None
    values = {
        "hex17": "0" + h[:16],
        "hex16": h[16:32],
        "hex32": h[:32],
        "hex8": h[32:40],
        "uuid": f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}",
        "alnum13": stable_code(13, h),
        "digits": str(int(h[:12], 16))[:12],
        "acct": account.id,
        "sub": account.id.removeprefix("/subscriptions/"),
        "region": region,
        "zone": zone,
        "name": name,
        "app": app,
        "env": ENV_SHORT[env],
        "compact": name.replace("-", "")[:20],
        "underscored": name.replace("-", "_"),
    }
    rid = o.id_template.format(**values)
    return rid.lower() if o.provider == "azure" else rid


def _zone(o: Offering, region: str | None, pick: int) -> str | None:
    """Zonal resources (machines, databases) sit in one availability zone; Azure leaves it empty."""
    if not region or o.grain != "hour" or o.provider == "azure":
        return None
    return region + "abc"[pick] if o.provider == "aws" else f"{region}-{'bcd'[pick]}"


def _sku_details(o: Offering) -> str | None:
    if not o.vcpu:
        return None
    series = o.sku.split(".")[0].split("-")[0].removeprefix("Standard_").removeprefix("db").upper()
    return json.dumps(
        {
            "CoreCount": o.vcpu,
            "MemorySize": o.memory_gb,
            "InstanceType": o.sku,
            "InstanceSeries": series,
            "OperatingSystem": "Linux",
        }
    )


def describe(records: list[dict], window: Window, seed: int, rng: np.random.Generator) -> pd.DataFrame:
    """The resource table: planning numbers plus every FOCUS dimension a resource's rows carry."""
    names: dict[tuple[str, str, str, str], int] = {}
    rows = []
    for rid, rec in enumerate(records):
        o = OFFERINGS[rec["offering"]]
        provider = PROVIDERS[PROVIDER_INDEX[o.provider]]
        account = provider.account(rec["role"])
        region_id, region_name = (provider.regions[rec["region"]][:2]) if rec["region"] >= 0 else (None, None)
        key = (o.provider, rec["app"], rec["env"], o.service)
        names[key] = names.get(key, 0) + 1
        name = f"{rec['app']}-{ENV_SHORT[rec['env']]}-{names[key]:02d}"
        h = digest(seed, rid, o.key)
        zone = _zone(o, region_id, int(h[40], 16) % 3)
        resource_id = _resource_id(o, account, region_id or "global", zone, name, rec["app"], rec["env"], h)
        sku = sku_id(o.provider, o.key, region_id)
        publisher = o.publisher or provider.issuer
        rows.append(
            {
                "rid": rid,
                "provider_idx": PROVIDER_INDEX[o.provider],
                "offering": rec["offering"],
                "schedule": rec["schedule"],
                "spot": rec["spot"],
                "start": rec["start"],
                "end": rec["end"],
                "qty": rec["qty"],
                "team": rec["team"],
                "family": o.family,
                "vcpu": o.vcpu,
                "growth": o.growth,
                "weekly": o.weekly,
                "noise": o.noise,
                "third_party": bool(o.publisher),
                "ResourceId": resource_id,
                "ResourceName": name if resource_id else None,
                "ResourceType": o.resource_type if resource_id else None,
                "SubAccountId": account.id,
                "SubAccountName": account.name,
                "SubAccountType": provider.sub_account_type,
                "RegionId": region_id,
                "RegionName": region_name,
                "AvailabilityZone": zone,
                "ServiceName": o.service,
                "ServiceCategory": o.category,
                "ServiceSubcategory": o.subcategory,
                "SkuId": sku,
                "SkuMeter": o.sku,
                "SkuPriceId": f"{sku}.{stable_code(10, 'ondemand', o.provider)}",
                "SkuPriceDetails": _sku_details(o),
                "PricingUnit": o.unit,
                "ConsumedUnit": o.unit,
                "ChargeDescription": o.description,
                "ListUnitPrice": o.price,
                "Tags": _tags(o.provider, rec["team"], rec["app"], rec["env"], rec["tag_draws"]),
                "PublisherName": publisher,
                "ServiceProviderName": o.publisher or provider.name,
                # A marketplace SaaS is sold by its vendor and runs on the cloud that sells it (FOCUS 1.3).
                "HostProviderName": provider.name,
            }
        )
    res = pd.DataFrame(rows)
    res["priority"] = rng.permutation(len(res))
    _assign_utilization(res, window, rng)
    return res


def hourly_vms(res: pd.DataFrame) -> np.ndarray:
    """Per resource: a virtual machine billed by the hour (what utilisation and commitments are about)."""
    return (res["ServiceSubcategory"] == "Virtual Machines").to_numpy() & (res["schedule"] >= 0).to_numpy()


def _assign_utilization(res: pd.DataFrame, window: Window, rng: np.random.Generator) -> None:
    """About 20% of VMs over-provisioned, a few idle (max CPU <= 1%), the rest busy."""
    is_vm = hourly_vms(res)
    u = rng.random(len(res))
    kind = np.where(u < 0.04, UTIL_IDLE, np.where(u < 0.24, UTIL_OVER, UTIL_NORMAL))
    util_start = window.hours - UTILIZATION_DAYS * 24
    alive = is_vm & (res["end"].to_numpy() >= window.hours) & (res["start"].to_numpy() <= max(util_start, 0))
    # Make sure rightsizing has something to find however small the fleet: a forgotten always-on
    # box doing nothing (two in larger fleets), and an oversized machine.
    always = np.flatnonzero(alive & (res["schedule"].to_numpy() == 0))
    missing = (1 if len(always) < 20 else 2) - int((kind[always] == UTIL_IDLE).sum())
    if missing > 0:
        kind[always[kind[always] != UTIL_IDLE][-missing:]] = UTIL_IDLE
    busy = np.flatnonzero(alive & (kind == UTIL_NORMAL))
    if len(busy) >= 2 and not (kind[alive] == UTIL_OVER).any():
        kind[busy[0]] = UTIL_OVER
    res["util_kind"] = np.where(is_vm, kind, -1)
    res["cpu_base"] = np.select(
        [kind == UTIL_IDLE, kind == UTIL_OVER],
        [rng.uniform(0.1, 0.4, len(res)), rng.uniform(3, 10, len(res))],
        rng.uniform(22, 55, len(res)),
    )
    res["mem_base"] = np.select(
        [kind == UTIL_IDLE, kind == UTIL_OVER],
        [rng.uniform(3, 8, len(res)), rng.uniform(10, 28, len(res))],
        rng.uniform(40, 78, len(res)),
    )
