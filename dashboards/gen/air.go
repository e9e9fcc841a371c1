package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
)

// airRegulation is the regulation whose limits are drawn on the air readings: Vietnam's
// ambient-air regulation. The limit ratio panel covers every regulation of the station.
const airRegulation = "QCVN-05:2023"

// airParams are the parameters of an air-quality station, with the rolling means their
// QCVN 05:2023 limits use.
var airParams = []param{
	{id: "pm25", title: "PM2.5", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "24h"}},
	{id: "pm10", title: "PM10", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "24h"}},
	{id: "so2", title: "SO₂", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "24h"}},
	{id: "no2", title: "NO₂", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "24h"}},
	{id: "co", title: "CO", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "8h"}},
	{id: "o3", title: "O₃", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "8h"}},
	{id: "tsp", title: "TSP", unit: "µg/m³", grafanaUnit: "conμgm3", rolling: []string{"1h", "24h"}},
}

// aqiCategories names quantrac_aqi_category's values in both schemes.
func aqiCategories() []dashboard.ValueMapping {
	return valueText(
		"1", "Good · Tốt", "#00E400",
		"2", "Moderate · Trung bình", "#FFFF00",
		"3", "Unhealthy for sensitive groups · Kém", "#FF7E00",
		"4", "Unhealthy · Xấu", "#FF0000",
		"5", "Very unhealthy · Rất xấu", "#8F3F97",
		"6", "Hazardous · Nguy hại", "#7E0023")
}

func air(ids *panelIDs, cat catalog) (*dashboardBuilder, error) {
	d := newDashboard("quantrac-air", "quantrac — Air-quality station",
		"One air-quality station: AQI (VN_AQI and US EPA), each pollutant with its limits and rolling means, data capture, limit ratios, flagged data.").
		Time("now-2d", "now").
		WithVariable(provinceVar()).WithVariable(stationVar("air", false)).WithVariable(regulationVar())
	d = d.WithRow(row("Air-quality index")).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("AQI now").Height(6).Span(8).
			Description("quantrac_aqi: period 1h is the hourly index (NowCast for PM), 24h the daily index of the last complete day. VN_AQI follows Decision 1459/QĐ-TCMT, US the EPA AQI (2024 PM2.5 breakpoints).").
			WithTarget(promInstant("A", `quantrac_aqi{station="$station"}`, "{{scheme}} {{period}}")).
			Thresholds(aqiSteps()).ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone).Decimals(0)).
		WithPanel(stat.NewPanelBuilder().Id(ids.id()).Title("AQI category").Height(6).Span(16).
			Description("quantrac_aqi_category, named in English and Vietnamese.").
			WithTarget(promInstant("A", `quantrac_aqi_category{station="$station"}`, "{{scheme}} {{period}}")).
			Mappings(aqiCategories()).ColorMode(common.BigValueColorModeBackground).GraphMode(common.BigValueGraphModeNone)).
		WithPanel(timeseries.NewPanelBuilder().Id(ids.id()).Title("AQI history").Height(8).Span(24).
			Description("InfluxDB measurement aqi: the hourly and daily indices of both schemes, on the category bands.").
			WithTarget(influxql("A", `SELECT last("aqi") FROM "aqi" WHERE `+stationFilter+` GROUP BY time($__interval), "scheme", "period" fill(none)`, "$tag_scheme $tag_period")).
			Thresholds(aqiSteps()).ThresholdsStyle(common.NewGraphThresholdsStyleConfigBuilder().Mode(common.GraphThresholdsStyleModeArea)).
			Min(0).Decimals(0))
	d = d.WithRow(row("Pollutants (dashed lines: " + airRegulation + " limits)"))
	for _, p := range airParams {
		ts, err := readingsPanel(ids, cat, airRegulation, "air", p)
		if err != nil {
			return nil, err
		}
		d = d.WithPanel(ts)
	}
	d = d.WithPanel(timeseries.NewPanelBuilder().Id(ids.id()).Title("Temperature (°C)").Height(8).Span(12).
		Unit("celsius").WithTarget(influxql("A", `SELECT mean("temp") FROM "air" WHERE `+stationFilter+` GROUP BY time($__interval) fill(none)`, "temperature")))
	d = d.WithRow(row("Limits and data capture")).
		WithPanel(limitRatioPanel(ids)).
		WithPanel(coveragePanel(ids)).
		WithPanel(readingsPerHourPanel(ids, "air")).
		WithPanel(flaggedPanel(ids, "air_flagged", []string{"pm25", "pm10", "so2", "no2", "co", "o3", "tsp", "temp"})).
		WithPanel(flaggedTable(ids, "air_flagged")).
		WithPanel(violationHistoryTable(ids))
	return d, nil
}
