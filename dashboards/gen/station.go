package main

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// Panels shared by the air-quality and the wastewater station dashboards, which show one
// station ($station, single choice) at a time.

// param is a parameter drawn on a station dashboard.
type param struct {
	id, title, unit, grafanaUnit string
	rolling                      []string // means drawn besides the readings: "1h", "8h", "24h" (rules/README.md)
}

// stationFilter selects the dashboard's station in InfluxQL.
const stationFilter = `"station" =~ /^$station$/ AND $timeFilter`

// readingsPanel draws a parameter's readings, the means the regulations use and, as dashed
// lines, the limits of regulation reg (the newest version of each period).
func readingsPanel(ids *panelIDs, cat catalog, reg, measurement string, p param) (*timeseries.PanelBuilder, error) {
	ls, err := cat.current(reg, p.id)
	if err != nil {
		return nil, err
	}
	desc := fmt.Sprintf("Valid readings (status 00) of %s at $station, averaged per display interval, with the means the regulations define: "+
		"clock-hour means (labelled by the hour's end), running 8-h means of hourly means, calendar-day means of hourly means (days in Asia/Ho_Chi_Minh).", p.title)
	if d := describe(reg, ls, p.unit); d != "" {
		desc += " Limits drawn: " + d + " (the newest version of each limit; the limit ratio panel shows the version quantrac applied)."
	}
	title := p.title
	if p.unit != p.title {
		title += " (" + p.unit + ")"
	}
	ts := timeseries.NewPanelBuilder().Id(ids.id()).Title(title).Height(8).Span(12).
		Description(desc).Unit(p.grafanaUnit).
		WithTarget(influxql("A", fmt.Sprintf(`SELECT mean(%q) FROM %q WHERE %s GROUP BY time($__interval) fill(none)`, p.id, measurement, stationFilter), "readings")).
		ShowPoints(common.VisibilityModeNever).LineWidth(1)
	for i, r := range p.rolling {
		q, alias := rollingQuery(measurement, p.id, r)
		ts = ts.WithTarget(influxql(string(rune('B'+i)), q, alias))
	}
	if th := limitSteps(ls); th != nil {
		ts = ts.Thresholds(th).ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(thresholdMode(ls)))
	}
	return ts, nil
}

// rollingQuery is a parameter's mean over period r as quantrac's rules define it
// (rules/README.md, "Evaluation"), from hourly means of the clock hours (h − 1 h, h] (GROUP BY
// time(1h, 1ns)): "1h" the hourly mean, "8h" the running mean of 8 hourly means
// (moving_average), "24h" the local calendar day's mean of its hourly means. Dashboards are
// static: days are those of quantrac's default zone, Asia/Ho_Chi_Minh.
func rollingQuery(measurement, field, r string) (query, alias string) {
	switch r {
	case "8h":
		return fmt.Sprintf(`SELECT moving_average(mean(%q), 8) FROM %q WHERE %s GROUP BY time(1h, 1ns) fill(none)`, field, measurement, stationFilter),
			"8 h running mean of hourly means"
	case "24h":
		return fmt.Sprintf(`SELECT mean("m") FROM (SELECT mean(%q) AS "m" FROM %q WHERE %s GROUP BY time(1h, 1ns) fill(none)) WHERE $timeFilter GROUP BY time(1d) fill(none) tz('Asia/Ho_Chi_Minh')`,
			field, measurement, stationFilter), "24 h mean (calendar day of hourly means)"
	}
	return fmt.Sprintf(`SELECT mean(%q) FROM %q WHERE %s GROUP BY time(1h, 1ns) fill(none)`, field, measurement, stationFilter), "1 h mean"
}

// limitSteps turns limits into thresholds: a band for a range (pH), else one step per maximum.
func limitSteps(ls []limit) *dashboard.ThresholdsConfigBuilder {
	var pairs []any
	for _, l := range ls {
		if len(l.Range) == 2 {
			return steps("red", l.Range[0], "green", l.Range[1], "red")
		}
	}
	seen := map[float64]bool{}
	colours := map[string]string{"sample": "red", "1h": "red", "3h": "red", "8h": "orange", "24h": "orange", "1y": "yellow"}
	var maxima []limit
	for _, l := range ls {
		if l.Max != nil && !seen[*l.Max] {
			seen[*l.Max] = true
			maxima = append(maxima, l)
		}
	}
	slices.SortFunc(maxima, func(a, b limit) int { return cmp.Compare(*a.Max, *b.Max) })
	for _, l := range maxima {
		pairs = append(pairs, *l.Max, colours[l.Period])
	}
	if len(pairs) == 0 {
		return nil
	}
	return steps("green", pairs...)
}

// thresholdMode shades a band (pH) and draws maxima as dashed lines.
func thresholdMode(ls []limit) common.GraphThresholdsStyleMode {
	for _, l := range ls {
		if len(l.Range) == 2 {
			return common.GraphThresholdsStyleModeLineAndArea
		}
	}
	return common.GraphThresholdsStyleModeDashed
}

// limitRatioPanel shows statistic ÷ limit of every limit of the station: above 1 is a breach.
// quantrac computes it for the latest closed period (the one the verdict is about) and for the
// period in progress, with the limit in force, the station's Kq × Kf (QCVN 40) or K (QCVN 14),
// its permit limits and the regulation's reference conditions.
func limitRatioPanel(ids *panelIDs) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Id(ids.id()).Title("Limit ratio (statistic ÷ limit in force): latest closed period, and in progress").Height(9).Span(12).
		Description("quantrac_limit_ratio of every limit of $station under the selected regulations, for the latest closed hour, 8-h mean, day, year or sample: above 1 (the red line) the period breached the limit; "+
			"absent while that period lacks data capture. Dotted: quantrac_limit_ratio_provisional, the period in progress as it stands (a rise shows before the period closes). "+
			"Both use the limit version in force, the station's coefficients (Kq × Kf, K), its permit limits and the regulation's reference conditions (EU gases at 20 °C).").
		WithTarget(promRange("A", `quantrac_limit_ratio{station="$station", regulation=~"$regulation"}`, "{{parameter}} {{period}} {{regulation}}")).
		WithTarget(promRange("B", `quantrac_limit_ratio_provisional{station="$station", regulation=~"$regulation"}`, "{{parameter}} {{period}} {{regulation}} (in progress)")).
		OverrideByQuery("B", []dashboard.DynamicConfigValue{{Id: "custom.lineStyle", Value: map[string]any{"fill": "dot", "dash": []int{2, 4}}}}).
		Min(0).Thresholds(steps("green", 1, "red")).
		ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeDashed)).
		Legend(common.NewVizLegendOptionsBuilder().DisplayMode(common.LegendDisplayModeTable).Placement(common.LegendPlacementRight).ShowLegend(true).Calcs([]string{"lastNotNull", "max"}))
}

// coveragePanel shows the data capture of each limit's latest closed period.
func coveragePanel(ids *panelIDs) *bargauge.PanelBuilder {
	return bargauge.NewPanelBuilder().Id(ids.id()).Title("Data capture of the latest closed periods").Height(9).Span(12).
		Description("quantrac_window_coverage_ratio of the latest closed period: readings of the hour ÷ those the interval implies, or valid hours (days) ÷ the period's hours (days). " +
			"Below the regulation's minimum (75 %: 18 of 24 hours, 6 of 8; EU annual means 90 %) the period gives no verdict.").
		WithTarget(promInstant("A", `quantrac_window_coverage_ratio{station="$station", regulation=~"$regulation"}`, "{{parameter}} {{period}} {{regulation}}")).
		Unit("percentunit").Min(0).Max(1).Thresholds(steps("red", 0.75, "green")).
		DisplayMode(common.BarGaugeDisplayModeBasic).Orientation(common.VizOrientationHorizontal)
}

// readingsPerHourPanel counts the readings stored per hour and parameter.
func readingsPerHourPanel(ids *panelIDs, measurement string) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Id(ids.id()).Title("Valid readings per hour").Height(8).Span(12).
		Description("Readings stored per hour for each parameter (status 00). A station reporting every 5 minutes gives 12.").
		WithTarget(influxql("A", fmt.Sprintf(`SELECT count(*) FROM %q WHERE %s GROUP BY time(1h) fill(0)`, measurement, stationFilter), "$col")).
		DrawStyle(common.GraphDrawStyleBars).FillOpacity(60).Min(0)
}

// flaggedPanel shows the readings kept apart because their status was not 00 (calibration,
// device fault) or they fell in a maintenance window.
func flaggedPanel(ids *panelIDs, measurement string, params []string) *timeseries.PanelBuilder {
	fields := ""
	for i, p := range params {
		if i > 0 {
			fields += ", "
		}
		fields += fmt.Sprintf("%q", p)
	}
	return timeseries.NewPanelBuilder().Id(ids.id()).Title("Flagged readings (calibration, fault, maintenance)").Height(8).Span(12).
		Description(fmt.Sprintf("Values stored in %s: status other than 00 (01 calibrating, 02 device fault, …) or inside a maintenance window. They are never used for limits or the AQI.", measurement)).
		WithTarget(influxql("A", fmt.Sprintf(`SELECT %s FROM %q WHERE %s`, fields, measurement, stationFilter), "$col")).
		DrawStyle(common.GraphDrawStylePoints).PointSize(6)
}

// flaggedTable lists the flagged readings with their status codes.
func flaggedTable(ids *panelIDs, measurement string) *table.PanelBuilder {
	return table.NewPanelBuilder().Id(ids.id()).Title("Flagged readings with status codes").Height(8).Span(12).
		Description("Newest 200 flagged points: each value with its <parameter>_status code (01 calibrating, 02 device fault).").
		WithTarget(influxTable("A", fmt.Sprintf(`SELECT * FROM %q WHERE %s ORDER BY time DESC LIMIT 200`, measurement, stationFilter)))
}

// violationHistoryTable lists the station's violation starts and ends with their evidence.
func violationHistoryTable(ids *panelIDs) *table.PanelBuilder {
	return table.NewPanelBuilder().Id(ids.id()).Title("Violations: starts and ends with evidence").Height(9).Span(24).
		Description("InfluxDB measurement violations for $station: each start and end, the window's statistic (value), the limit in force with the station's coefficients applied (version says how it was computed, e.g. 'C 150 mg/L × kq 0.9 × kf 1'), the ratio, data capture and reading count.").
		WithTarget(influxTable("A", `SELECT "state", "value", "limit", "ratio", "coverage", "count", "window_start", "window_end", "version" FROM "violations" WHERE "state" != 'withdrawn' AND "station" =~ /^$station$/ AND "regulation" =~ /^$regulation$/ AND $timeFilter GROUP BY "parameter", "regulation", "period" ORDER BY time DESC LIMIT 500`)).
		WithTransformation(organize(nil, map[string]string{"count": "readings"})).
		OverrideByName("state", []dashboard.DynamicConfigValue{{Id: "mappings", Value: valueText("started", "started", "red", "ended", "ended", "green")},
			{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}}}).
		OverrideByName("coverage", []dashboard.DynamicConfigValue{{Id: "unit", Value: "percentunit"}}).
		OverrideByName("ratio", []dashboard.DynamicConfigValue{{Id: "decimals", Value: 2}})
}
