package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// sel selects the chosen quantrac instances; every series of the ingester carries job and
// instance from Prometheus' scrape (job "quantrac" in deploy/prometheus/prometheus.yml).
const sel = `job="quantrac", instance=~"$instance"`

func instanceVar() *dashboard.QueryVariableBuilder {
	return promVar("instance", "Instance", `label_values(quantrac_build_info{job="quantrac"}, instance)`).
		Multi(true).IncludeAll(true)
}

// rate is the per-second rate of a counter summed by the given labels ("" for a total).
func rate(metric, by string) string {
	s := "sum"
	if by != "" {
		s += " by (" + by + ")"
	}
	return s + " (rate(" + metric + "{" + sel + "}[$__rate_interval]))"
}

func ts(ids *panelIDs, title, desc, unit string, w uint32) *timeseries.PanelBuilder {
	return timeseries.NewPanelBuilder().Id(ids.id()).Title(title).Description(desc).Unit(unit).Height(8).Span(w).
		ShowPoints(common.VisibilityModeNever)
}

func health(ids *panelIDs) *dashboardBuilder {
	d := newDashboard("quantrac-ingester", "quantrac — Ingester health",
		"The ingester itself: messages and readings by result, rejections by reason, InfluxDB writes and latency, the spool, the broker connection and the accounting identity.").
		Time("now-6h", "now").
		WithVariable(instanceVar())
	up := func(title, expr, desc string, mapping []dashboard.ValueMapping, th *dashboard.ThresholdsConfigBuilder) *stat.PanelBuilder {
		return stat.NewPanelBuilder().Id(ids.id()).Title(title).Description(desc).Height(4).Span(4).
			WithTarget(promInstant("A", expr, "{{instance}}")).Mappings(mapping).Thresholds(th).
			ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone)
	}
	d = d.WithRow(row("Now")).
		WithPanel(up("Scraped", `up{`+sel+`}`, "Prometheus reaches quantrac's /metrics.",
			valueText("1", "up", "green", "0", "down", "red"), steps("red", 1, "green"))).
		WithPanel(up("MQTT broker", `quantrac_mqtt_connected{`+sel+`}`, "quantrac_mqtt_connected: 1 while connected to the broker.",
			valueText("1", "connected", "green", "0", "disconnected", "red"), steps("red", 1, "green"))).
		WithPanel(up("Points pending", `quantrac_points_pending{`+sel+`}`, "Points accepted but not yet durable (in memory, waiting for InfluxDB or the spool).",
			nil, steps("green", 10000, "orange"))).
		WithPanel(up("Spool", `quantrac_spool_bytes{`+sel+`}`, "Bytes waiting on local disk for InfluxDB.",
			nil, steps("green", 1, "orange")).Unit("bytes")).
		WithPanel(up("Spool oldest", `quantrac_spool_oldest_age_seconds{`+sel+`}`, "Age of the oldest spooled record; 0 when the spool is empty.",
			nil, steps("green", 60, "orange", 900, "red")).Unit("s")).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("Version").Height(4).Span(4).
			WithTarget(promInstant("A", `quantrac_build_info{`+sel+`}`, "{{version}}")).
			ReduceOptions(common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"}).Fields("/^Value$/")).
			TextMode(common.BigValueTextModeName).ColorMode(common.BigValueColorModeNone).GraphMode(common.BigValueGraphModeNone))
	d = d.WithRow(row("Flow through the ingester")).
		WithPanel(ts(ids, "Messages by result", "quantrac_messages_total: every MQTT message is accepted or rejected with a reason.", "msg/s", 12).
			WithTarget(promRange("A", rate("quantrac_messages_total", "result"), "{{result}}"))).
		WithPanel(ts(ids, "Readings accepted and flagged", "quantrac_readings_total by station kind; flagged readings (status not 00, or maintenance) are part of them.", "rps", 12).
			WithTarget(promRange("A", rate("quantrac_readings_total", "kind"), "{{kind}}")).
			WithTarget(promRange("B", rate("quantrac_readings_flagged_total", ""), "flagged"))).
		WithPanel(ts(ids, "Readings rejected by reason", "quantrac_readings_rejected_total: out of range, bad time, unknown parameter or unit, NaN/Inf….", "rps", 12).
			WithTarget(promRange("A", rate("quantrac_readings_rejected_total", "reason"), "{{reason}}"))).
		WithPanel(ts(ids, "Rejected messages kept in InfluxDB", "InfluxDB measurement rejected_messages by reason: the quarantine that quantrac replay re-ingests.", "short", 12).
			WithTarget(influxql("A", `SELECT count("topic") FROM "rejected_messages" WHERE $timeFilter GROUP BY time($__interval), "reason" fill(none)`, "$tag_reason")).
			DrawStyle(common.GraphDrawStyleBars).FillOpacity(60))
	d = d.WithRow(row("InfluxDB writes and spool")).
		WithPanel(ts(ids, "Points written and write errors", "quantrac_points_written_total and quantrac_write_errors_total by class (retryable: InfluxDB unavailable; rejected: refused for good, quarantined).", "short", 12).
			WithTarget(promRange("A", rate("quantrac_points_written_total", ""), "points written/s")).
			WithTarget(promRange("B", rate("quantrac_write_errors_total", "class"), "errors/s {{class}}"))).
		WithPanel(ts(ids, "Write latency", "quantrac_write_duration_seconds: quantiles of InfluxDB write calls.", "s", 12).
			WithTarget(promRange("A", `histogram_quantile(0.5, sum by (le) (rate(quantrac_write_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p50")).
			WithTarget(promRange("B", `histogram_quantile(0.99, sum by (le) (rate(quantrac_write_duration_seconds_bucket{`+sel+`}[$__rate_interval])))`, "p99"))).
		WithPanel(ts(ids, "Spool size", "quantrac_spool_bytes: data waiting on local disk while InfluxDB is unavailable; replayed in order when it is back.", "bytes", 12).
			WithTarget(promRange("A", `quantrac_spool_bytes{`+sel+`}`, "{{instance}}"))).
		WithPanel(ts(ids, "Spool oldest entry age", "quantrac_spool_oldest_age_seconds: how long the oldest spooled data has waited.", "s", 12).
			WithTarget(promRange("A", `quantrac_spool_oldest_age_seconds{`+sel+`}`, "{{instance}}")))
	d = d.WithRow(row("Accounting")).
		WithPanel(table.NewPanelBuilder().Id(ids.id()).Title("Accounting identity").Height(9).Span(12).
			Description("Every message received is accepted or rejected with a reason; every accepted reading is written (valid or flagged), rejected or pending. " +
				"'unaccounted messages' = received − accepted − rejected must be 0. Points are InfluxDB points (one per station and timestamp, many readings each).").
			WithTarget(promInstant("A", `sum(quantrac_messages_total{`+sel+`})`, "messages received")).
			WithTarget(promInstant("B", `sum(quantrac_messages_total{`+sel+`, result="accepted"})`, "messages accepted")).
			WithTarget(promInstant("C", `sum(quantrac_messages_total{`+sel+`, result!="accepted"})`, "messages rejected")).
			WithTarget(promInstant("D", `sum(quantrac_messages_total{`+sel+`}) - sum(quantrac_messages_total{`+sel+`, result="accepted"}) - sum(quantrac_messages_total{`+sel+`, result!="accepted"})`, "unaccounted messages")).
			WithTarget(promInstant("E", `sum(quantrac_readings_total{`+sel+`})`, "readings accepted")).
			WithTarget(promInstant("F", `sum(quantrac_readings_flagged_total{`+sel+`})`, "readings flagged")).
			WithTarget(promInstant("G", `sum(quantrac_readings_rejected_total{`+sel+`})`, "readings rejected")).
			WithTarget(promInstant("H", `sum(quantrac_points_written_total{`+sel+`})`, "points written")).
			WithTarget(promInstant("I", `sum(quantrac_points_pending{`+sel+`})`, "points pending")).
			WithTarget(promInstant("J", `sum(quantrac_points_spooled_total{`+sel+`})`, "points spooled")).
			WithTarget(promInstant("K", `sum(quantrac_points_quarantined_total{`+sel+`})`, "points quarantined")).
			WithTransformation(transformation("reduce", map[string]any{"reducers": []string{"lastNotNull"}, "mode": "seriesToRows"})).
			WithTransformation(organize(nil, map[string]string{"Field": "counter", "Last *": "value"}))).
		WithPanel(ts(ids, "Points spooled and quarantined", "quantrac_points_spooled_total (InfluxDB unavailable) and quantrac_points_quarantined_total (refused by InfluxDB for good, kept in rejected_messages).", "short", 12).
			WithTarget(promRange("A", rate("quantrac_points_spooled_total", ""), "spooled/s")).
			WithTarget(promRange("B", rate("quantrac_points_quarantined_total", ""), "quarantined/s")).
			WithTarget(promRange("C", `quantrac_points_pending{`+sel+`}`, "pending")))
	d = d.WithRow(row("Process")).
		WithPanel(ts(ids, "CPU", "", "percentunit", 8).WithTarget(promRange("A", `rate(process_cpu_seconds_total{`+sel+`}[$__rate_interval])`, "{{instance}}"))).
		WithPanel(ts(ids, "Resident memory", "", "bytes", 8).WithTarget(promRange("A", `process_resident_memory_bytes{`+sel+`}`, "{{instance}}"))).
		WithPanel(ts(ids, "Goroutines", "", "short", 8).WithTarget(promRange("A", `go_goroutines{`+sel+`}`, "{{instance}}")))
	return d
}
