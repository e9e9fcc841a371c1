#!/usr/bin/env python3
"""Writes vn_edges.tsv and us_edges.tsv: the expected sub-index at, just below and just above
every breakpoint of both tables. An independent implementation with exact rational arithmetic,
from shared/regulations/regulations.md §3.2 (Decision 1459/QĐ-TCMT Table 2) and §4.1–4.2
(40 CFR 58 App. G, 2024 PM2.5 revision; TAD truncation). Run: python3 gen_edges.py"""
from fractions import Fraction as F

I_VN = [0, 50, 100, 150, 200, 300, 400, 500]
VN = {  # (param, period): (breakpoints, above the last: "cap" or "none")
    ("o3", "1h"): ([0, 160, 200, 300, 400, 800, 1000, 1200], "cap"),
    ("o3", "8h"): ([0, 100, 120, 170, 210, 400], "none"),
    ("co", "1h"): ([0, 10000, 30000, 45000, 60000, 90000, 120000, 150000], "cap"),
    ("so2", "1h"): ([0, 125, 350, 550, 800, 1600, 2100, 2630], "cap"),
    ("no2", "1h"): ([0, 100, 200, 700, 1200, 2350, 3100, 3850], "cap"),
    ("pm10", "24h"): ([0, 50, 150, 250, 350, 420, 500, 600], "cap"),
    ("pm25", "24h"): ([0, 25, 50, 80, 150, 250, 350, 500], "cap"),
}

US = {  # (param, period): (unit, decimals, rows (lo, hi, ilo, ihi), below, above)
    ("o3", "8h"): ("ppm", 3, [("0.000", "0.054", 0, 50), ("0.055", "0.070", 51, 100), ("0.071", "0.085", 101, 150),
                              ("0.086", "0.105", 151, 200), ("0.106", "0.200", 201, 300)], "zero", "none"),
    ("o3", "1h"): ("ppm", 3, [("0.125", "0.164", 101, 150), ("0.165", "0.204", 151, 200),
                              ("0.205", "0.404", 201, 300), ("0.405", "0.604", 301, 500)], "none", "extra"),
    ("pm25", "24h"): ("ug/m3", 1, [("0.0", "9.0", 0, 50), ("9.1", "35.4", 51, 100), ("35.5", "55.4", 101, 150),
                                   ("55.5", "125.4", 151, 200), ("125.5", "225.4", 201, 300),
                                   ("225.5", "325.4", 301, 500)], "zero", "extra"),
    ("pm10", "24h"): ("ug/m3", 0, [("0", "54", 0, 50), ("55", "154", 51, 100), ("155", "254", 101, 150),
                                   ("255", "354", 151, 200), ("355", "424", 201, 300), ("425", "604", 301, 500)],
                      "zero", "extra"),
    ("co", "8h"): ("ppm", 1, [("0.0", "4.4", 0, 50), ("4.5", "9.4", 51, 100), ("9.5", "12.4", 101, 150),
                              ("12.5", "15.4", 151, 200), ("15.5", "30.4", 201, 300), ("30.5", "50.4", 301, 500)],
                   "zero", "extra"),
    ("so2", "1h"): ("ppb", 0, [("0", "35", 0, 50), ("36", "75", 51, 100), ("76", "185", 101, 150),
                               ("186", "304", 151, 200)], "zero", "none"),
    ("so2", "24h"): ("ppb", 0, [("305", "604", 201, 300), ("605", "1004", 301, 500)], "none", "extra"),
    ("no2", "1h"): ("ppb", 0, [("0", "53", 0, 50), ("54", "100", 51, 100), ("101", "360", 101, 150),
                               ("361", "649", 151, 200), ("650", "1249", 201, 300), ("1250", "2049", 301, 500)],
                    "zero", "extra"),
}


def half_up(x):
    return (x + F(1, 2)).__floor__()


def fmt(x):
    return repr(float(x))


def vn_value(bps, above, c):
    for k in range(len(bps) - 1):
        if c <= bps[k + 1]:
            return F(I_VN[k + 1] - I_VN[k], bps[k + 1] - bps[k]) * (c - bps[k]) + I_VN[k]
    return F(500) if above == "cap" else None


def us_value(rows, decimals, below, above, c):
    step = F(1, 10 ** decimals)
    c = (c / step).__floor__() * step  # truncate
    if c < F(rows[0][0]) and below == "none":
        return None
    for lo, hi, ilo, ihi in rows:
        if c <= F(hi):
            return F(ihi - ilo) / (F(hi) - F(lo)) * (c - F(lo)) + ilo
    if above == "none":
        return None
    lo, hi, ilo, ihi = rows[-1]
    return F(ihi - ilo) / (F(hi) - F(lo)) * (c - F(lo)) + ilo


def line(param, period, unit, conc, v, note):
    if v is None:
        return f"{param}\t{period}\t{unit}\t{conc}\tnone\tnone\t{note}"
    return f"{param}\t{period}\t{unit}\t{conc}\t{fmt(v)}\t{half_up(v)}\t{note}"


def vn_rows():
    out = []
    for (param, period), (bps, above) in VN.items():
        d = 10 if param == "co" else 1
        for k, bp in enumerate(bps):
            if k > 0:
                out.append(line(param, period, "ug/m3", bp - d, vn_value(bps, above, F(bp - d)), f"below BP{k+1}"))
            out.append(line(param, period, "ug/m3", bp, vn_value(bps, above, F(bp)), f"at BP{k+1}"))
            out.append(line(param, period, "ug/m3", bp + d, vn_value(bps, above, F(bp + d)), f"above BP{k+1}"))
        top = bps[-1]
        out.append(line(param, period, "ug/m3", 2 * top, vn_value(bps, above, F(2 * top)), "twice the top"))
    return out


def us_rows():
    out = []
    for (param, period), (unit, dec, rows, below, above) in US.items():
        step = F(1, 10 ** dec)
        q = lambda x: f"{float(x):.{dec + 1}f}" if dec >= 0 else str(x)
        p = lambda x: f"{float(x):.{dec}f}"
        vals = []
        first = F(rows[0][0])
        if first > 0:
            vals.append((first - step, "below the column"))
        for r, (lo, hi, _, _) in enumerate(rows):
            lo, hi = F(lo), F(hi)
            vals += [(lo, f"row {r+1} low"), (lo + step, f"row {r+1} low + step"),
                     (hi - step, f"row {r+1} high - step"), (hi, f"row {r+1} high"),
                     (hi + step / 2, f"row {r+1} high + half step (truncates)")]
        top = F(rows[-1][1])
        vals += [(top + step, "above the top"), (top * 3 / 2, "1.5 x top")]
        for c, note in vals:
            text = q(c) if c != int(c * 10 ** dec) / F(10 ** dec) else p(c)
            out.append(line(param, period, unit, text, us_value(rows, dec, below, above, F(text)), note))
    return out


HEADER = ("# generated by gen_edges.py from shared/regulations/regulations.md; do not edit\n"
          "# param\tperiod\tunit\tconc\tsubindex\taqi\tnote\n")

with open("vn_edges.tsv", "w") as f:
    f.write("# VN_AQI, Decision 1459/QĐ-TCMT Table 2 (continuous breakpoints, µg/m³; ≥ last: 500)\n")
    f.write(HEADER + "\n".join(vn_rows()) + "\n")
with open("us_edges.tsv", "w") as f:
    f.write("# US EPA AQI, 40 CFR 58 App. G Table 2 as of 6 May 2024; concentrations truncated (TAD)\n")
    f.write(HEADER + "\n".join(us_rows()) + "\n")
