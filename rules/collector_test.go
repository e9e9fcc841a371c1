package rules

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/quantrac/quantrac"
)

func TestCollector(t *testing.T) {
	tagged := &quantrac.Station{ID: "LC-AQ-01", Name: "Trạm TP Lai Châu", Kind: quantrac.Air, Interval: 5 * time.Minute,
		Location: quantrac.Location{Lat: 22.3964, Lon: 103.4582}, Tags: map[string]string{"province": "Lai Châu"},
		Regulations: []string{"TEST-AIR"}}
	plain := &quantrac.Station{ID: "DE-1", Kind: quantrac.Air, Interval: 5 * time.Minute, Timezone: "UTC", Regulations: []string{"TEST-AIR"}}
	reg := mustRegistry(t, tagged, plain)
	test, err := ParseRegulation([]byte(`id: TEST-AIR
title: t
kind: air
source: {document: d}
limits:
  - {parameter: pm10, period: 24h, max: 50, unit: µg/m³, allowed_exceedances_per_year: 35}
`), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	now := mar1.Add(24*time.Hour + 5*time.Minute)
	e := NewEngine(NewCatalog(test), reg, func() time.Time { return now })
	e.Observe(day("LC-AQ-01", "pm10", mar1, 288, 60))
	e.Observe(day("DE-1", "pm10", mar1, 100, 20))
	// A parameter without limits is still exported; a calibration reading changes nothing.
	e.Observe([]quantrac.Reading{{Station: "DE-1", Param: "no2", Value: 31.5, Time: mar1.Add(8 * time.Hour), Status: "00"},
		{Station: "DE-1", Param: "pm10", Value: 900, Time: mar1.Add(9 * time.Hour), Status: "01"}})

	want := `
# HELP quantrac_exceedances Hours or days of the current calendar year in which the limit was exceeded.
# TYPE quantrac_exceedances gauge
quantrac_exceedances{parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_exceedances{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1
# HELP quantrac_exceedances_allowed Exceedances the regulation allows per calendar year.
# TYPE quantrac_exceedances_allowed gauge
quantrac_exceedances_allowed{parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 35
quantrac_exceedances_allowed{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 35
# HELP quantrac_limit_ratio Statistic of the current window divided by the limit in force; only while the window has enough data.
# TYPE quantrac_limit_ratio gauge
quantrac_limit_ratio{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1.2
# HELP quantrac_parameter_value Newest valid value of a parameter, in its canonical unit.
# TYPE quantrac_parameter_value gauge
quantrac_parameter_value{parameter="no2",station="DE-1",unit="µg/m³"} 31.5
quantrac_parameter_value{parameter="pm10",station="DE-1",unit="µg/m³"} 20
quantrac_parameter_value{parameter="pm10",station="LC-AQ-01",unit="µg/m³"} 60
# HELP quantrac_station_info Registered station; 1 per station, with its registry tags.
# TYPE quantrac_station_info gauge
quantrac_station_info{kind="air",lat="0",lon="0",name="",province="",station="DE-1"} 1
quantrac_station_info{kind="air",lat="22.3964",lon="103.4582",name="Trạm TP Lai Châu",province="Lai Châu",station="LC-AQ-01"} 1
# HELP quantrac_station_last_reading_timestamp_seconds Time of the station's newest valid reading (measurement time).
# TYPE quantrac_station_last_reading_timestamp_seconds gauge
quantrac_station_last_reading_timestamp_seconds{station="DE-1"} 1.772328e+09
quantrac_station_last_reading_timestamp_seconds{station="LC-AQ-01"} 1.7723844e+09
# HELP quantrac_station_up 1 while the station's newest valid reading is within 3 reporting intervals of now.
# TYPE quantrac_station_up gauge
quantrac_station_up{station="DE-1"} 0
quantrac_station_up{station="LC-AQ-01"} 1
# HELP quantrac_violation 1 while the limit is breached.
# TYPE quantrac_violation gauge
quantrac_violation{parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_violation{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1
# HELP quantrac_violations_total Violations started since the process started.
# TYPE quantrac_violations_total counter
quantrac_violations_total{parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_violations_total{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1
# HELP quantrac_window_coverage_ratio Data capture of the window ending at the newest reading (0-1).
# TYPE quantrac_window_coverage_ratio gauge
quantrac_window_coverage_ratio{parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0.3472222222222222
quantrac_window_coverage_ratio{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 1
`
	c := e.Collector()
	if err := testutil.CollectAndCompare(c, strings.NewReader(want)); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(c); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	r := prometheus.NewPedanticRegistry()
	r.MustRegister(c)
	if _, err := r.Gather(); err != nil {
		t.Errorf("gather: %v", err)
	}

	// Removing a station removes its series.
	e.SetRegistry(mustRegistry(t, plain))
	if n := testutil.CollectAndCount(c, "quantrac_station_info", "quantrac_violation", "quantrac_parameter_value"); n != 4 {
		t.Errorf("%d series after removing LC-AQ-01, want 4", n)
	}
	// A new year shows no exceedances yet.
	now = time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)
	e.SetRegistry(reg)
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP quantrac_exceedances Hours or days of the current calendar year in which the limit was exceeded.
# TYPE quantrac_exceedances gauge
quantrac_exceedances{parameter="pm10",period="24h",regulation="TEST-AIR",station="DE-1"} 0
quantrac_exceedances{parameter="pm10",period="24h",regulation="TEST-AIR",station="LC-AQ-01"} 0
`), "quantrac_exceedances"); err != nil {
		t.Error(err)
	}
}
