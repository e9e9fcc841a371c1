package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Targets (BENCHMARKS.md, "Targets"), checked at the station count they name.
const (
	targetRatio       = 0.85 // end to end and catch-up ÷ their broker-only ceilings, 1,000 stations
	targetCPUPer100k  = 1.1  // quantrac CPU seconds per 100k messages of 6 readings
	targetRSSMB       = 300  // peak RSS with 10,000 stations
	targetStations    = 1000
	targetRSSStations = 10000
)

// writeMarkdown writes the results as the tables BENCHMARKS.md shows.
func writeMarkdown(w io.Writer, res *Results) {
	o := res.Options
	fmt.Fprintf(w, "## quantrac end-to-end benchmark, %s\n\n", res.Date)
	m := res.Machine
	fmt.Fprintf(w, "Machine: %s, %d cores, %s RAM; %s, kernel %s; %s; %s; %s.\n\n", m.CPU, m.Cores, m.MemoryGB, m.OS, m.Kernel, m.Go, m.Mosquitto, m.InfluxDB)
	fmt.Fprintf(w, "Load per station count: %d messages (end to end) and a backlog of %d, %d readings each, QoS 1, %d publisher connections, step %s, violate %g; latency: %d probes with %g msg/s of background load.\n\n",
		o.Messages, o.Backlog, o.ReadingsPerMessage, o.Conns, o.Step, o.Violate, o.Probes, o.LatencyRate)
	summaryTable(w, res.Rows)
	targets(w, res.Rows)
	phaseTable(w, res.Rows)
	for _, r := range res.Rows {
		for _, e := range r.Errors {
			fmt.Fprintf(w, "- **%d stations failed**: %s\n", r.Stations, firstLineOf(e))
		}
	}
	if p := res.Profile; p != nil {
		profileSection(w, p)
	}
	if len(res.GoBench) > 0 {
		goBenchTable(w, res.GoBench)
	}
}

func summaryTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| stations | broker-only msg/s | end to end msg/s (readings/s) | ratio | drain ceiling msg/s | catch-up msg/s | ratio | quantrac CPU µs/msg | CPU s / 100k msgs | peak RSS MB (after a scrape) | /metrics MB in s | start s | breach latency p50 / p99 ms | load1 |")
	fmt.Fprintln(w, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintf(w, "| %d | %.0f | %.0f (%.0f) | %s | %.0f | %.0f | %s | %.1f | %.2f | %.0f (%.0f) | %.1f in %.1f | %.1f | %.0f / %.0f | %s |\n",
			r.Stations, r.Broker.MsgPerS, r.EndToEnd.MsgPerS, r.EndToEnd.ReadingsPerS, pct(r.RatioEndToEnd),
			r.DrainCeiling.MsgPerS, r.CatchUp.MsgPerS, pct(r.RatioCatchUp),
			r.CPUPerMessageUS, r.CPUPer100kMsgs, r.PeakRSSMB, r.PeakRSSScrapeMB,
			float64(r.MetricsBytes)/1e6, r.MetricsSeconds, r.StartupS, r.Latency.P50ms, r.Latency.P99ms, loads(r))
	}
	fmt.Fprintln(w)
}

// loads is the range of 1-minute load averages seen at the phases of a row.
func loads(r Row) string {
	var ls []float64
	for _, p := range []Phase{r.Broker, r.EndToEnd, r.CatchUp, r.DrainCeiling} {
		for _, l := range []float64{p.Load1Start, p.Load1End} {
			if l > 0 {
				ls = append(ls, l)
			}
		}
	}
	if len(ls) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f–%.1f", slices.Min(ls), slices.Max(ls))
}

func pct(f float64) string {
	if f == 0 || math.IsNaN(f) {
		return "–"
	}
	return fmt.Sprintf("%.0f %%", 100*f)
}

// targets checks the targets against the rows that hold them.
func targets(w io.Writer, rows []Row) {
	find := func(n int) *Row {
		for i := range rows {
			if rows[i].Stations == n && len(rows[i].Errors) == 0 {
				return &rows[i]
			}
		}
		return nil
	}
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**not met**"
	}
	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---:|---|")
	if r := find(targetStations); r != nil {
		fmt.Fprintf(w, "| end to end ≥ 85 %% of broker-only, %d stations | %s | %s |\n", targetStations, pct(r.RatioEndToEnd), mark(r.RatioEndToEnd >= targetRatio))
		fmt.Fprintf(w, "| catch-up ≥ 85 %% of drain ceiling, %d stations | %s | %s |\n", targetStations, pct(r.RatioCatchUp), mark(r.RatioCatchUp >= targetRatio))
		fmt.Fprintf(w, "| quantrac CPU ≤ %.1f s per 100k messages, %d stations | %.2f s | %s |\n", targetCPUPer100k, targetStations, r.CPUPer100kMsgs, mark(r.CPUPer100kMsgs <= targetCPUPer100k))
	}
	if r := find(targetRSSStations); r != nil {
		fmt.Fprintf(w, "| peak RSS ≤ %d MB, %d stations | %.0f MB | %s |\n", targetRSSMB, targetRSSStations, r.PeakRSSMB, mark(r.PeakRSSMB <= targetRSSMB))
	}
	if len(rows) > 0 {
		lost := lostMessages(rows)
		fmt.Fprintf(w, "| nothing lost: every published message queryable in InfluxDB, every station count | %s | %s |\n", lost, mark(lost == "none"))
	}
	if lo, hi := find(100), find(10000); lo != nil && hi != nil && lo.CPUPerMessageUS > 0 {
		g := hi.CPUPerMessageUS / lo.CPUPerMessageUS
		fmt.Fprintf(w, "| CPU per message flat from 100 to 10,000 stations | ×%.2f | %s |\n", g, mark(g <= 1.25))
	}
	fmt.Fprintln(w)
}

// lostMessages says which phases of which rows miss messages (or did not run).
func lostMessages(rows []Row) string {
	var bad []string
	for _, r := range rows {
		if len(r.Errors) > 0 {
			bad = append(bad, fmt.Sprintf("%d stations: failed", r.Stations))
			continue
		}
		for _, ph := range []struct {
			name string
			p    Phase
		}{{"end to end", r.EndToEnd}, {"catch-up", r.CatchUp}} {
			if ph.p.Queried < ph.p.Messages {
				bad = append(bad, fmt.Sprintf("%d stations %s: %d of %d", r.Stations, ph.name, ph.p.Queried, ph.p.Messages))
			}
		}
	}
	if len(bad) == 0 {
		return "none"
	}
	return strings.Join(bad, "; ")
}

// phaseTable shows where the CPU went in every phase.
func phaseTable(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "| stations | phase | messages | seconds | msg/s | tail s | CPU s: quantrac | mosquitto | influxd | stationsim | qbench | load1 start → end |")
	fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		for _, ph := range []struct {
			name string
			p    Phase
		}{{"broker-only", r.Broker}, {"end to end", r.EndToEnd}, {"catch-up", r.CatchUp}, {"drain ceiling", r.DrainCeiling}} {
			if ph.p.Messages == 0 {
				continue
			}
			c := ph.p.CPU
			tail := "–"
			if ph.p.TailS > 0 {
				tail = fmt.Sprintf("%.2f", ph.p.TailS)
			}
			fmt.Fprintf(w, "| %d | %s | %d | %.2f | %.0f | %s | %s | %s | %s | %s | %s | %.1f → %.1f |\n",
				r.Stations, ph.name, ph.p.Messages, ph.p.Seconds, ph.p.MsgPerS, tail,
				cpuCell(c, "quantrac"), cpuCell(c, "mosquitto"), cpuCell(c, "influxd"), cpuCell(c, "stationsim"), cpuCell(c, "qbench"),
				ph.p.Load1Start, ph.p.Load1End)
		}
	}
	fmt.Fprintln(w)
}

func cpuCell(c map[string]float64, k string) string {
	v, ok := c[k]
	if !ok {
		return "–"
	}
	return fmt.Sprintf("%.2f", v)
}

func profileSection(w io.Writer, p *Profile) {
	fmt.Fprintf(w, "Profile of quantrac, end to end at %d stations (perf, %s):\n\n```\n", p.Stations, p.Samples)
	for _, l := range head(p.Self, 25) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "```\n\nCumulative (children):\n\n```")
	for _, l := range head(p.Children, 30) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "```\n\nBy binary ([k] kernel, [.] user):\n\n```")
	for _, l := range head(p.DSO, 10) {
		fmt.Fprintln(w, l)
	}
	fmt.Fprintln(w, "```")
	fmt.Fprintln(w)
}

func goBenchTable(w io.Writer, bs []GoBench) {
	fmt.Fprintln(w, "| package | benchmark | ns/op | B/op | allocs/op | other |")
	fmt.Fprintln(w, "|---|---|---:|---:|---:|---|")
	for _, b := range bs {
		var other []string
		for k, v := range b.Metrics {
			if k != "ns/op" && k != "B/op" && k != "allocs/op" {
				other = append(other, num(v)+" "+k)
			}
		}
		slices.Sort(other)
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", strings.TrimPrefix(b.Pkg, "github.com/quantrac/quantrac/"),
			b.Name, num(b.Metrics["ns/op"]), num(b.Metrics["B/op"]), num(b.Metrics["allocs/op"]), strings.Join(other, ", "))
	}
	fmt.Fprintln(w)
}

// num formats a benchmark figure: whole numbers from 1,000 up, 4 significant digits below.
func num(v float64) string {
	if math.Abs(v) >= 1000 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

func head(s []string, n int) []string { return s[:min(n, len(s))] }

func firstLineOf(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
