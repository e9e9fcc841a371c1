package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// wastewaterRegulation is the regulation whose column values are drawn on the wastewater
// readings: QCVN 40:2011 column B, before the station's Kq × Kf. The limit ratio panel and the
// violation evidence apply the station's own coefficients and permit.
const wastewaterRegulation = "QCVN-40:2011/B"

// wastewaterParams are the parameters of an automatic wastewater station; QCVN 40:2011 limits
// hold for every sample (a station with basis 1h is judged on the hourly mean drawn beside).
var wastewaterParams = []param{
	{id: "ph", title: "pH", unit: "pH", grafanaUnit: "none", rolling: []string{"1h"}},
	{id: "cod", title: "COD", unit: "mg/L", grafanaUnit: "conmgL", rolling: []string{"1h"}},
	{id: "bod5", title: "BOD5", unit: "mg/L", grafanaUnit: "conmgL", rolling: []string{"1h"}},
	{id: "tss", title: "TSS", unit: "mg/L", grafanaUnit: "conmgL", rolling: []string{"1h"}},
	{id: "nh4_n", title: "NH4+-N", unit: "mg/L", grafanaUnit: "conmgL", rolling: []string{"1h"}},
	{id: "tn", title: "Total N", unit: "mg/L", grafanaUnit: "conmgL", rolling: []string{"1h"}},
	{id: "tp", title: "Total P", unit: "mg/L", grafanaUnit: "conmgL", rolling: []string{"1h"}},
	{id: "temp", title: "Temperature", unit: "°C", grafanaUnit: "celsius", rolling: []string{"1h"}},
}

func wastewater(ids *panelIDs, cat catalog) (*dashboardBuilder, error) {
	d := newDashboard("quantrac-wastewater", "quantrac — Wastewater station",
		"One automatic wastewater station: pH band, COD/BOD5/TSS/NH4+-N/TN/TP against QCVN 40 columns and the station's Kq × Kf and permit, flow and discharged volume.").
		Time("now-2d", "now").
		WithVariable(provinceVar()).WithVariable(stationVar("wastewater", false)).WithVariable(regulationVar())
	d = d.WithRow(row("Limits now")).
		WithPanel(limitRatioPanel(ids)).
		WithPanel(coveragePanel(ids)).
		WithRow(row("Effluent (lines: " + wastewaterRegulation + " column values C, before Kq × Kf)"))
	for _, p := range wastewaterParams {
		ts, err := readingsPanel(ids, cat, wastewaterRegulation, "wastewater", p)
		if err != nil {
			return nil, err
		}
		d = d.WithPanel(ts)
	}
	d = d.WithRow(row("Flow")).
		WithPanel(timeseries.NewPanelBuilder().Id(ids.id()).Title("Flow (m³/h)").Height(8).Span(16).
			Description("Discharge flow, averaged per display interval and per hour.").
			Unit("m³/h").
			WithTarget(influxql("A", `SELECT mean("flow") FROM "wastewater" WHERE `+stationFilter+` GROUP BY time($__interval) fill(none)`, "flow")).
			WithTarget(influxql("B", `SELECT mean("flow") FROM "wastewater" WHERE `+stationFilter+` GROUP BY time(1h) fill(none)`, "1 h mean"))).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("Volume discharged").Height(8).Span(8).
			Description("Integral of the flow over the time range (m³/h × h).").
			Unit("m³").Decimals(0).
			WithTarget(influxql("A", `SELECT integral("flow", 1h) FROM "wastewater" WHERE `+stationFilter, "volume")).
			ColorMode(common.BigValueColorModeNone).GraphMode(common.BigValueGraphModeNone))
	d = d.WithRow(row("Data capture, flagged data, violations")).
		WithPanel(readingsPerHourPanel(ids, "wastewater")).
		WithPanel(flaggedPanel(ids, "wastewater_flagged", []string{"ph", "cod", "bod5", "tss", "nh4_n", "tn", "tp", "flow", "temp"})).
		WithPanel(flaggedTable(ids, "wastewater_flagged")).
		WithPanel(violationHistoryTable(ids))
	return d, nil
}
