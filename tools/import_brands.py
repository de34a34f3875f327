"""Copy ../shared/data/brands into per-company folders (the product never reads shared/).

    python tools/import_brands.py ../shared/data/brands forecast/data/companies

reproduces the bundled folders of the eight imported companies byte for byte. History starts
at the first month from which every month is known (earlier years have gaps): the "start the
fit after the gap" choice of issue 12. A target whose scope covers only part of the sales
("overseas sales only") is of kind `partial`, never a scenario's default target.
"""

import collections
import csv
import sys
from pathlib import Path

from forecast.load.targets import COLUMNS as TARGET_COLUMNS

SRC = Path(sys.argv[1])
OUT = Path(sys.argv[2])
PARTIAL_NOTE = (
    "overseas only: no 2026 target for all NEV sales was found (kind partial: never the default)"
)
# label -> (name, make as spelled in bev_models.csv or "", scope)
BRANDS = {
    "byd": ("BYD", "BYD", "all NEV sales including commercial vehicles"),
    "nio": ("NIO", "Nio", "NIO Inc. group deliveries (NIO, ONVO, firefly)"),
    "xpeng": ("XPeng", "Xpeng", "deliveries"),
    "li_auto": ("Li Auto", "", "deliveries; the best-seller lists carry no Li Auto BEV"),
    "zeekr": ("Zeekr", "Zeekr", "Zeekr brand deliveries"),
    "leapmotor": ("Leapmotor", "Leapmotor", "deliveries"),
    "huawei_hima": (
        "HIMA",
        "",
        "all HIMA brands (AITO, Luxeed, Stelato, Maextro, ...); the best-seller lists name none"
        " of them",
    ),
    "tesla_china": (
        "Tesla China",
        "Tesla",
        "China-made wholesale including exports (no announced target matches this scope)",
    ),
}
monthly = collections.defaultdict(dict)
for r in csv.DictReader(open(SRC / "monthly.csv", newline="")):
    monthly[r["brand"]][r["month"]] = r
targets = collections.defaultdict(list)
for r in csv.DictReader(open(SRC / "targets.csv", newline="")):
    targets[r["brand"]].append(r)


def ordinal(m):
    return int(m[:4]) * 12 + int(m[5:7]) - 1


def label(o):
    return f"{o // 12:04d}-{o % 12 + 1:02d}"


for b in BRANDS:
    months = sorted(monthly[b], key=ordinal)
    last = ordinal(months[-1])
    first = last
    while label(first - 1) in monthly[b]:
        first -= 1
    d = OUT / b
    d.mkdir(parents=True, exist_ok=True)
    with open(d / "deliveries.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["month", "line", "figure", "qualifier", "source", "note"])
        for o in range(first, last + 1):
            r = monthly[b][label(o)]
            w.writerow(
                [
                    label(o),
                    "total",
                    r["figure"],
                    "exact",
                    r["source"],
                    "company monthly figure (CnEVPost brand page)",
                ]
            )
    years = sorted({int(m[:4]) for m in monthly[b] if ordinal(m) >= first})
    with open(d / "totals.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["period", "line", "figure", "qualifier", "source", "note"])
        for y in years:
            if first <= ordinal(f"{y}-01") and ordinal(f"{y}-12") <= last:
                s = sum(
                    int(monthly[b][label(o)]["figure"])
                    for o in range(ordinal(f"{y}-01"), ordinal(f"{y}-12") + 1)
                )
                actual = {
                    int(t["actual"]) for t in targets[b] if t["year"] == str(y) and t["actual"]
                }
                src = next(
                    (t["source"] for t in targets[b] if t["year"] == str(y) and t["actual"]), ""
                )
                note = (
                    "published full-year figure" if actual == {s} else "sum of the monthly figures"
                )
                if actual and actual != {s}:
                    print(b, y, s, actual)
                w.writerow(
                    [str(y), "total", s, "exact", src or monthly[b][f"{y}-12"]["source"], note]
                )
    with open(d / "lines.csv", "w", newline="") as f:
        f.write("line,first_month,source,note\n")
    with open(d / "targets.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(TARGET_COLUMNS)
        for t in targets[b]:
            partial = "only" in t["scope"]  # e.g. "overseas sales only"
            w.writerow(
                [
                    t["year"],
                    t["units"],
                    t["units_high"],
                    "partial" if partial else t["kind"],
                    t["announced"],
                    t["reliability"],
                    t["scope"],
                    t["actual"],
                    t["source"],
                    PARTIAL_NOTE if partial else "",
                ]
            )
    name, make, scope = BRANDS[b]
    with open(d / "company.csv", "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["label", "name", "make", "source", "note"])
        source = monthly[b][label(first)]["source"]
        note = (
            f"scope: {scope}; monthly figures as tabulated by CnEVPost's brand pages "
            "(shared brands/README.md)"
        )
        w.writerow([b, name, make, source, note])
    print(b, label(first), label(last), years)
