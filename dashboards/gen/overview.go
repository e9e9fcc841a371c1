package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/bargauge"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/geomap"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
)

// Station states on the overview map, worst last: a station that is down is shown down even
// if its last window breached a limit.
const (
	stateOK           = "0"
	stateInsufficient = "1"
	stateViolation    = "2"
	stateDown         = "3"
)

// stateExpr gives each selected station one value, its state, with its name, kind, position
// and registry tags from quantrac_station_info. "Insufficient data": no limit of the station
// has a latest closed period with enough data capture (quantrac_limit_ratio is exported only
// then). A station quantrac has not rebuilt yet exports no state and is not on the map.
const stateExpr = `max by (station) (
    label_replace((quantrac_station_up{station=~"$station"} == bool 0) * 3, "state", "down", "", "")
  or
    label_replace(max by (station) (quantrac_violation{station=~"$station", regulation=~"$regulation"}) * 2, "state", "violation", "", "")
  or
    label_replace(count by (station) (quantrac_window_coverage_ratio{station=~"$station"}) * 0 + 1
      unless on (station) count by (station) (quantrac_limit_ratio{station=~"$station"}), "state", "insufficient", "", "")
  or
    label_replace(quantrac_station_up{station=~"$station"} * 0, "state", "ok", "", "")
)
* on (station) group_left (name, kind, lat, lon, province) quantrac_station_info{station=~"$station"}`

// aqiMapExpr is each air station's hourly VN_AQI, or its US AQI when it computes no VN_AQI.
const aqiMapExpr = `(
    max by (station) (quantrac_aqi{station=~"$station", scheme="vn", period="1h"})
  or
    max by (station) (quantrac_aqi{station=~"$station", scheme="us", period="1h"})
)
* on (station) group_left (name, lat, lon) quantrac_station_info{station=~"$station"}`

// activeViolationsQL is the newest violation event of each station × parameter × regulation ×
// period in the time range, kept when it is a start: the violations still open, with their
// evidence. Its time is when the violation started.
const activeViolationsQL = `SELECT * FROM (SELECT last("state") AS "state", "statistic", "value", "limit", "unit", "ratio", "coverage", "count", "window_start", "window_end", "reference", "version" FROM "violations" WHERE "state" != 'withdrawn' AND "station" =~ /^$station$/ AND "regulation" =~ /^$regulation$/ AND $timeFilter GROUP BY "station", "parameter", "regulation", "period") WHERE "state" = 'started' GROUP BY "station", "parameter", "regulation", "period"`

func overview(ids *panelIDs) *dashboardBuilder {
	d := newDashboard("quantrac-overview", "quantrac — Overview",
		"Every station at a glance: state on the map, open violations with their evidence, silent stations, exceedance budgets and AQI.").
		Time("now-2d", "now").
		WithVariable(provinceVar()).WithVariable(stationVar("", true)).WithVariable(regulationVar())
	d = d.WithRow(row("Stations")).
		WithPanel(stationMap(ids)).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("Open violations").Height(5).Span(8).
			Description("Limits breached now (quantrac_violation == 1) at the selected stations and regulations.").
			WithTarget(promInstant("A", `count(quantrac_violation{station=~"$station", regulation=~"$regulation"} == 1) or vector(0)`, "open")).
			Thresholds(steps("green", 1, "red")).ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone)).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("Stations reporting").Height(5).Span(8).
			Description("Stations whose newest valid reading is within 3 reporting intervals, out of those selected.").
			WithTarget(promInstant("A", `sum(quantrac_station_up{station=~"$station"})`, "up")).
			WithTarget(promInstant("B", `count(quantrac_station_up{station=~"$station"} == 0) or vector(0)`, "silent")).
			OverrideByName("silent", []dashboard.DynamicConfigValue{{Id: "thresholds", Value: mustBuild(steps("green", 1, "red"))}}).
			Thresholds(steps("green")).ColorMode(common.BigValueColorModeValue).GraphMode(common.BigValueGraphModeNone)).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("AQI now (hourly)").Height(9).Span(8).
			Description("Hourly index per station and scheme: VN_AQI (Decision 1459/QĐ-TCMT) and US EPA AQI; the colours are the category bands shared by both.").
			WithTarget(promInstant("A", `quantrac_aqi{station=~"$station", period="1h"}`, "{{station}} {{scheme}}")).
			Thresholds(aqiSteps()).ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone).
			Decimals(0))
	d = d.WithRow(row("Violations")).
		WithPanel(table.NewPanelBuilder().Id(ids.id()).Title("Open violations with evidence").Height(10).Span(24).
			Description("From InfluxDB measurement violations: the newest event of each limit in the time range, when it is a start. "+
				"'Since' is when the breaching period ended; value is the period's statistic at the regulation's reference conditions, limit the value in force (Kq × Kf applied), ratio = value ÷ limit, coverage the period's data capture, count its readings (sample, 1 h) or valid hours (days).").
			WithTarget(influxTable("A", activeViolationsQL)).
			WithTransformation(organize([]string{"state"}, map[string]string{"Time": "since"})).
			OverrideByName("ratio", []dashboard.DynamicConfigValue{{Id: "decimals", Value: 2}, {Id: "custom.cellOptions", Value: map[string]any{"type": "color-background"}},
				{Id: "thresholds", Value: mustBuild(steps("green", 1, "red"))}}).
			OverrideByName("coverage", []dashboard.DynamicConfigValue{{Id: "unit", Value: "percentunit"}})).
		WithPanel(table.NewPanelBuilder().Id(ids.id()).Title("Limits breached now (live ratio and data capture)").Height(8).Span(12).
			Description("From quantrac's metrics: every limit in violation now, the limit ratio (statistic ÷ limit) and data capture of its latest closed period.").
			WithTarget(promTable("A", `quantrac_violation{station=~"$station", regulation=~"$regulation"} == 1`)).
			WithTarget(promTable("B", `quantrac_limit_ratio{station=~"$station", regulation=~"$regulation"} and on (station, parameter, regulation, period) quantrac_violation == 1`)).
			WithTarget(promTable("C", `quantrac_window_coverage_ratio{station=~"$station", regulation=~"$regulation"} and on (station, parameter, regulation, period) quantrac_violation == 1`)).
			WithTransformation(transformation("merge", map[string]any{})).
			WithTransformation(organize([]string{"Time", "__name__", "job", "instance", "Value #A"},
				map[string]string{"Value #B": "ratio", "Value #C": "coverage"})).
			OverrideByName("coverage", []dashboard.DynamicConfigValue{{Id: "unit", Value: "percentunit"}}).
			OverrideByName("ratio", []dashboard.DynamicConfigValue{{Id: "decimals", Value: 2}})).
		WithPanel(table.NewPanelBuilder().Id(ids.id()).Title("Station liveness (silent first)").Height(8).Span(12).
			Description("Time since each station's newest valid reading (measurement time). A station is down after 3 reporting intervals without one.").
			WithTarget(promTable("A", `(time() - max by (station) (quantrac_station_last_reading_timestamp_seconds{station=~"$station"})) * on (station) group_left (name, kind, province) quantrac_station_info`)).
			WithTarget(promTable("B", `max by (station) (quantrac_station_up{station=~"$station"})`)).
			WithTransformation(transformation("merge", map[string]any{})).
			WithTransformation(organize([]string{"Time"}, map[string]string{"Value #A": "silent for", "Value #B": "up"})).
			WithTransformation(transformation("sortBy", map[string]any{"sort": []map[string]any{{"field": "silent for", "desc": true}}})).
			OverrideByName("silent for", []dashboard.DynamicConfigValue{{Id: "unit", Value: "s"}}).
			OverrideByName("up", []dashboard.DynamicConfigValue{{Id: "mappings", Value: valueText("1", "reporting", "green", "0", "silent", "red")},
				{Id: "custom.cellOptions", Value: map[string]any{"type": "color-text"}}}))
	d = d.WithRow(row("Exceedance budgets")).
		WithPanel(bargauge.NewPanelBuilder().Id(ids.id()).Title("Exceedances used this calendar year").Height(8).Span(24).
			Description("For limits that allow a number of exceeding hours or days per calendar year (EU 2008/50: PM10 daily 50 µg/m³ 35 times; US NAAQS percentile forms: the allowance EPA's rank table gives, while the year runs the most its valid days can still reach): " +
				"exceedances so far ÷ the allowance. Above 100 % every further exceedance is a violation. For forms averaged over 3 years (EU ozone, US NAAQS) the 3-year averages are shown too ('3 y').").
			WithTarget(promInstant("A", `quantrac_exceedances{station=~"$station", regulation=~"$regulation"} / quantrac_exceedances_allowed{station=~"$station", regulation=~"$regulation"}`,
				"{{station}} {{parameter}} {{period}} {{regulation}}")).
			WithTarget(promInstant("B", `quantrac_exceedances_3y{station=~"$station", regulation=~"$regulation"} / quantrac_exceedances_allowed_3y{station=~"$station", regulation=~"$regulation"}`,
				"{{station}} {{parameter}} {{period}} {{regulation}} (3 y)")).
			Unit("percentunit").Min(0).Max(1).Thresholds(steps("green", 0.8, "orange", 1, "red")).
			DisplayMode(common.BarGaugeDisplayModeGradient).Orientation(common.VizOrientationHorizontal))
	return d
}

// stationMap is the geomap: one marker per station coloured by state, and its AQI beside it.
func stationMap(ids *panelIDs) *geomap.PanelBuilder {
	stateColours := valueText(stateOK, "ok", "green", stateInsufficient, "insufficient data", "blue",
		stateViolation, "violation", "red", stateDown, "down", "purple")
	return geomap.NewPanelBuilder().Id(ids.id()).Title("Stations: state and AQI").Height(14).Span(24).
		Description("Marker colour: green ok, blue insufficient data (no window has enough data capture yet), red a limit breached, purple down (silent for 3 reporting intervals). The label under an air station is its hourly AQI (VN_AQI, else US AQI) in its category colour.").
		WithTarget(promTable("A", stateExpr)).
		WithTarget(promTable("B", aqiMapExpr)).
		WithTransformation(transformation("convertFieldType", map[string]any{"conversions": []map[string]any{
			{"targetField": "lat", "destinationType": "number"}, {"targetField": "lon", "destinationType": "number"}}})).
		OverrideByName("Value #A", []dashboard.DynamicConfigValue{{Id: "mappings", Value: stateColours}, {Id: "displayName", Value: "state"}}).
		OverrideByName("Value #B", []dashboard.DynamicConfigValue{{Id: "thresholds", Value: mustBuild(aqiSteps())}, {Id: "displayName", Value: "AQI"}, {Id: "decimals", Value: 0}}).
		View(geomap.NewMapViewConfigBuilder().Id("fit").AllLayers(true).Zoom(9).MaxZoom(14).Padding(10)).
		Controls(geomap.NewControlsOptionsBuilder().ShowZoom(true).MouseWheelZoom(true).ShowScale(true)).
		Basemap(common.NewMapLayerOptionsBuilder().Type("default").Name("Basemap")).
		Layers([]mapLayer{
			markers("State", "A", "Value #A", "station", 12, -14),
			markers("AQI", "B", "Value #B", "Value #B", 5, 16),
		}).
		Tooltip(geomap.NewTooltipOptionsBuilder().Mode(geomap.TooltipModeDetails))
}

// markers is a geomap markers layer over the frame of one query, coloured by colourField and
// labelled with textField.
func markers(name, refID, colourField, textField string, size, textOffsetY int) mapLayer {
	return common.NewMapLayerOptionsBuilder().Type("markers").Name(name).Tooltip(true).
		FilterData(map[string]any{"id": "byRefId", "options": refID}).
		Location(common.NewFrameGeometrySourceBuilder().Mode(common.FrameGeometrySourceModeCoords).Latitude("lat").Longitude("lon")).
		Config(map[string]any{
			"showLegend": true,
			"style": map[string]any{
				"size":       map[string]any{"fixed": size},
				"color":      map[string]any{"field": colourField, "fixed": "dark-green"},
				"opacity":    0.9,
				"symbol":     map[string]any{"mode": "fixed", "fixed": "img/icons/marker/circle.svg"},
				"text":       map[string]any{"mode": "field", "field": textField, "fixed": ""},
				"textConfig": map[string]any{"fontSize": 11, "offsetY": textOffsetY, "textAlign": "center", "textBaseline": "middle"},
			},
		})
}
