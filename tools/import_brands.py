"""Copy ../shared/data/brands into per-company folders (run once; the product never reads shared/).

History starts at the first month from which every month is known (earlier years have gaps):
that is the "start the fit after the gap" choice of issue 12.
"""

import collections
import csv
import sys
from pathlib import Path

SRC = Path(sys.argv[1])
OUT = Path(sys.argv[2])
BRANDS = ("byd", "nio", "xpeng", "li_auto", "zeekr", "leapmotor", "huawei_hima", "tesla_china")
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
        w.writerow(
            [
                "year",
                "units",
                "units_high",
                "kind",
                "announced",
                "reliability",
                "scope",
                "actual",
                "source",
                "note",
            ]
        )
        for t in targets[b]:
            w.writerow(
                [
                    t["year"],
                    t["units"],
                    t["units_high"],
                    t["kind"],
                    t["announced"],
                    t["reliability"],
                    t["scope"],
                    t["actual"],
                    t["source"],
                    "",
                ]
            )
    print(b, label(first), label(last), years)
