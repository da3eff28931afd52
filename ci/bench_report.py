#!/usr/bin/env python3
# The report of `make bench`: reads the raw rows ci/bench.sh recorded and
# writes results.txt (printed too), results.md, chart.dat, chart.gp and,
# through gnuplot, chart.png. The goals of issue 8 are printed as
# information: met, not met, or not measured; none of them fails the run.
# The digest goal uses the dr256k rows, measured with our own initiator
# (target-daemon/tests/bench/bench_iscsi_read.c) because libiscsi cannot
# offer data digests; the QEMU header-digest rows stay as information.
# Usage: bench_report.py RAW.tsv OUTDIR CONDITIONS
import csv
import os
import subprocess
import sys

GIB = 1 << 30
MIB = 1 << 20

# id, label: the rows of the table, in order
WORKLOADS = [
    ("rr4k-qd1-same", "4K random read QD1, one core"),
    ("rr4k-qd1-cross", "4K random read QD1, two cores"),
    ("rr4k-qd32", "4K random read QD32"),
    ("sr256k-qd8", "256K seq read QD8"),
    ("w4k-qd32", "4K seq write QD32 (qemu)"),
    ("w256k-qd8", "256K seq write QD8 (qemu)"),
    ("rr4k-16s", "4K random read 16 sessions x QD4"),
    ("rr4k-2t", "4K random read 2 targets x 8 sessions x QD8"),
    ("qr256k-qd8", "256K seq read QD8 (qemu)"),
    ("qr256k-hd", "256K seq read QD8 (qemu) header digest"),
    ("dr256k-none", "256K seq read QD8 (bench_iscsi_read)"),
    ("dr256k-digest",
     "256K seq read QD8 (bench_iscsi_read) header+data digest"),
    ("rr4k-many", "4K random read N sessions x QD32"),
]
TARGETS = ("minisand", "tgt")


def load(path):
    rows = {}
    with open(path, newline="") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            rows[(r["id"], r["target"])] = r
    return rows


def num(r, key):
    """The float in column key of row r, or None if absent or an error."""
    if r is None or r["status"] != "ok":
        return None
    try:
        return float(r[key])
    except ValueError:
        return None


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def cpu_per_gib(r):
    cpu, nbytes = num(r, "cpu_s"), num(r, "bytes")
    if cpu is None or not nbytes:
        return None
    return cpu / (nbytes / GIB)


def hwm_mib(r):
    v = num(r, "hwm_kib")
    return None if v is None else v / 1024


def label_of(rows, wid, label):
    """The workload's label, with the session count the run used."""
    if "N sessions" in label:
        r = rows.get((wid, "minisand")) or rows.get((wid, "tgt")) or {}
        n = r.get("note", "").split(" x ")[0]
        label = label.replace("N sessions", (n or "N") + " sessions")
    return label


def table(rows):
    """Header and lines of the main table, each a list of cells."""
    head = ["workload", "unit", "minisand", "tgt", "m/t",
            "CPU s/GiB m", "CPU s/GiB t", "peak RSS MiB m", "peak RSS MiB t"]
    lines = []
    for wid, label in WORKLOADS:
        m, t = rows.get((wid, "minisand")), rows.get((wid, "tgt"))
        label = label_of(rows, wid, label)
        unit = next((r["unit"] for r in (m, t) if r and r["status"] == "ok"),
                    "-")
        cells = [label, unit]
        for r in (m, t):
            v = num(r, "value")
            if r is None:
                cells.append("not run")
            elif v is None:
                cells.append("ERROR")
            else:
                cells.append(fmt(v, ".0f" if unit == "IOPS" else ".1f"))
        rt = ratio(num(m, "value"), num(t, "value"))
        cells.append(fmt(rt, ".2f") + ("x" if rt is not None else ""))
        cells += [fmt(cpu_per_gib(m), ".2f"), fmt(cpu_per_gib(t), ".2f"),
                  fmt(hwm_mib(m), ".1f"), fmt(hwm_mib(t), ".1f")]
        lines.append(cells)
    return head, lines


def errors(rows):
    return ["%s/%s: %s" % (r["id"], r["target"], r["note"])
            for r in rows.values() if r["status"] != "ok"]


def val(rows, wid, tgt):
    return num(rows.get((wid, tgt)), "value")


def derived(rows):
    """The lines under the table: ceiling, latency, digests, memory, CRC."""
    out = []
    tcp = val(rows, "tcp", "loopback")
    out.append("loopback TCP, one stream (iperf3): %s MiB/s"
               % fmt(tcp, ".1f"))
    for wid, what in (("sr256k-qd8", "256K read"),
                      ("w256k-qd8", "256K write")):
        share = ratio(val(rows, wid, "minisand"), tcp)
        out.append("minisand %s: %s%% of loopback TCP"
                   % (what, fmt(None if share is None else 100 * share,
                                ".0f")))
    loops = rows.get(("loops", "minisand"))
    if loops and loops.get("status") == "ok":
        out.append("minisand event loops: %s (workers auto), %s" % (
            loops["value"], loops.get("note", "")))
    for wid, where in (("rr4k-qd1-same", "initiator and target on one core"),
                       ("rr4k-qd1-cross", "on two cores")):
        lat = {t: val(rows, wid, t) for t in TARGETS}
        out.append("4K read QD1 latency, %s: minisand %s us, tgt %s us" % (
            (where,) + tuple(fmt(None if not lat[t] else 1e6 / lat[t], ".1f")
                             for t in TARGETS)))
    def digest_cost(plain_id, digest_id):
        cost = {}
        for t in TARGETS:
            plain, dg = val(rows, plain_id, t), val(rows, digest_id, t)
            cost[t] = None if not plain or dg is None else 1 - dg / plain
        return cost

    def pct(cost):
        return tuple(fmt(None if cost[t] is None else 100 * cost[t], ".1f")
                     for t in TARGETS)

    cost = digest_cost("dr256k-none", "dr256k-digest")
    out.append("header+data digest cost on 256K reads (bench_iscsi_read): "
               "minisand %s%%, tgt %s%%" % pct(cost))
    out.append("header digest cost on 256K reads (qemu; libiscsi offers "
               "only DataDigest=None): minisand %s%%, tgt %s%%"
               % pct(digest_cost("qr256k-qd8", "qr256k-hd")))
    for wid, what in (("rr4k-qd32", "1 session QD32"),
                      ("rr4k-many", "many sessions QD32")):
        r = rows.get((wid, "minisand")) or {}
        if wid == "rr4k-many" and r.get("note"):
            what = r["note"].replace(" x ", " sessions ")
        out.append("peak RSS, %s: minisand %s MiB, tgt %s MiB" % (
            what, fmt(hwm_mib(rows.get((wid, "minisand"))), ".1f"),
            fmt(hwm_mib(rows.get((wid, "tgt"))), ".1f")))
    crc = {}
    for (wid, _), r in rows.items():
        if wid.startswith("crc32c-"):
            impl, size = wid[len("crc32c-"):].rsplit("-", 1)
            crc.setdefault(impl, {})[int(size)] = num(r, "value")
    if crc:
        sizes = sorted({n for per in crc.values() for n in per})
        out.append("CRC32C in MB/s on %s-byte buffers: %s" % (
            "/".join(str(n) for n in sizes), ", ".join(
                "%s %s" % (impl, "/".join(fmt(crc[impl].get(n), ".0f")
                                          for n in sizes))
                for impl in sorted(crc))))
    image = rows.get(("appliance-image", "local"))
    if image and image.get("status") == "ok":
        boots = []
        for fw in ("bios", "uefi"):
            r = rows.get(("boot-" + fw, "local"))
            if r and r.get("status") == "ok":
                boots.append("%s %s s" % (fw.upper(), fmt(num(r, "value"), ".1f")))
            elif r:
                boots.append("%s failed" % fw.upper())
        out.append("appliance: image %s MiB (%s); QEMU start to target "
                   "ready under TCG: %s" % (fmt(num(image, "value"), ".0f"),
                                           image.get("note", ""),
                                           ", ".join(boots) or "not measured"))
    return out, tcp, cost


def goals(rows, tcp, cost):
    """(text, verdict) for each goal of issue 8."""
    def r(wid):
        return ratio(val(rows, wid, "minisand"), val(rows, wid, "tgt"))

    def at_least(v, bound):
        return None if v is None else v >= bound

    def both(*vs):
        return None if any(v is None for v in vs) else all(vs)

    share_r = ratio(val(rows, "sr256k-qd8", "minisand"), tcp)
    share_w = ratio(val(rows, "w256k-qd8", "minisand"), tcp)
    many = rows.get(("rr4k-many", "minisand")) or {}
    hwm = hwm_mib(many)
    many_ok = many.get("note", "").startswith("64 x")
    return [
        ("4K random read QD32 >= 2x tgt", at_least(r("rr4k-qd32"), 2.0)),
        ("4K read QD1 latency no worse than tgt (one core and two cores)",
         both(at_least(r("rr4k-qd1-same"), 1.0),
              at_least(r("rr4k-qd1-cross"), 1.0))),
        ("4K writes QD32 >= 1.5x tgt", at_least(r("w4k-qd32"), 1.5)),
        ("256K reads >= 1.2x tgt and >= 60% of loopback TCP",
         both(at_least(r("sr256k-qd8"), 1.2), at_least(share_r, 0.6))),
        ("256K writes >= 1.2x tgt and >= 60% of loopback TCP",
         both(at_least(r("w256k-qd8"), 1.2), at_least(share_w, 0.6))),
        ("digests cost <= 10% (header + data digest, 256K reads)",
         None if cost["minisand"] is None else cost["minisand"] <= 0.10),
        ("peak RSS < 32 MiB with 64 sessions at QD32",
         None if hwm is None or not many_ok else hwm < 32),
    ]


def render_txt(head, lines):
    widths = [max(len(c[i]) for c in [head] + lines)
              for i in range(len(head))]
    fmt_line = lambda cells: "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)
        for i, (c, w) in enumerate(zip(cells, widths)))
    return [fmt_line(head)] + [fmt_line(c) for c in lines]


def render_md(head, lines):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "---:"
                          for i in range(len(head))) + "|"]
    out += ["| " + " | ".join(c) + " |" for c in lines]
    return out


def chart(rows, outdir):
    """chart.dat and chart.gp; runs gnuplot. Returns an error or None."""
    dat = os.path.join(outdir, "chart.dat")
    gp = os.path.join(outdir, "chart.gp")
    png = os.path.join(outdir, "chart.png")
    n = 0
    with open(dat, "w") as f:
        f.write("# workload  minisand/tgt  tgt/tgt\n")
        for wid, label in WORKLOADS:
            rt = ratio(val(rows, wid, "minisand"), val(rows, wid, "tgt"))
            if rt is not None:
                f.write('"%s" %.3f 1\n' % (label_of(rows, wid, label), rt))
                n += 1
    with open(gp, "w") as f:
        f.write("""set terminal png size 1200,640
set output '%s'
set title 'minisand vs tgt, throughput normalised to tgt = 1 (higher is better)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics
set ylabel 'relative throughput'
set xtics rotate by -25 scale 0 font ',9' noenhanced
set key outside top right
set bmargin 10
set rmargin 22
plot '%s' using 2:xtic(1) title 'minisand' lc rgb '#2a7ab0', \\
     '' using 3 title 'tgt' lc rgb '#b0b0b0'
""" % (png, dat))
    if n == 0:
        return "no workload measured on both targets"
    p = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if p.returncode != 0:
        return "gnuplot: " + p.stderr.strip().splitlines()[-1]
    return None


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: bench_report.py RAW.tsv OUTDIR CONDITIONS")
    raw, outdir, cond = sys.argv[1:]
    rows = load(raw)
    head, lines = table(rows)
    notes, tcp, cost = derived(rows)
    gl = goals(rows, tcp, cost)
    verdict = {True: "met", False: "NOT met", None: "not measured"}
    err = chart(rows, outdir)

    legend = ("m = minisand, t = tgt; CPU s/GiB: the target process's user "
              "+ system seconds per GiB moved; peak RSS: VmHWM during the "
              "workload")
    txt = ["minisand vs tgt: " + cond, legend, ""]
    txt += render_txt(head, lines) + [""]
    txt += notes + ["", "goals (information, not asserted):"]
    txt += ["  %-12s %s" % (verdict[v], g) for g, v in gl]
    errs = errors(rows)
    if errs:
        txt += ["", "errors:"] + ["  " + e for e in errs]
    txt += ["", "chart: " + (err or os.path.join(outdir, "chart.png"))]
    with open(os.path.join(outdir, "results.txt"), "w") as f:
        f.write("\n".join(txt) + "\n")

    md = ["# minisand vs tgt", "", cond, "", legend, ""]
    md += render_md(head, lines) + [""]
    md += ["- " + n for n in notes] + ["", "Goals (information):", ""]
    md += ["- %s: %s" % (g, verdict[v]) for g, v in gl]
    if errs:
        md += ["", "Errors:", ""] + ["- " + e for e in errs]
    if not err:
        md += ["", "![minisand vs tgt](chart.png)"]
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    print("\n".join(txt))


if __name__ == "__main__":
    main()
