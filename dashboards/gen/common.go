package main

import (
	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
)

// Datasource uids, fixed by deploy/grafana/provisioning/datasources/quantrac.yaml.
const (
	influxUID = "quantrac-influxdb"
	promUID   = "quantrac-prometheus"
)

func ref(typ, uid string) common.DataSourceRef { return common.DataSourceRef{Type: &typ, Uid: &uid} }

func influxDS() common.DataSourceRef { return ref("influxdb", influxUID) }
func promDS() common.DataSourceRef   { return ref("prometheus", promUID) }

// InfluxQuery is a raw InfluxQL query of Grafana's InfluxDB datasource (the SDK has no type
// for it).
type InfluxQuery struct {
	RefID        string               `json:"refId"`
	Datasource   common.DataSourceRef `json:"datasource"`
	Query        string               `json:"query"`
	RawQuery     bool                 `json:"rawQuery"`
	ResultFormat string               `json:"resultFormat"`
	Alias        string               `json:"alias,omitempty"`
}

// ImplementsDataqueryVariant implements variants.Dataquery.
func (InfluxQuery) ImplementsDataqueryVariant() {}

// DataqueryType implements variants.Dataquery.
func (InfluxQuery) DataqueryType() string { return "influxdb" }

// Validate implements variants.Dataquery.
func (InfluxQuery) Validate() error { return nil }

// Equals implements variants.Dataquery.
func (q InfluxQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(InfluxQuery)
	return ok && q.RefID == o.RefID && q.Query == o.Query && q.ResultFormat == o.ResultFormat && q.Alias == o.Alias
}

// influxBuilder builds an InfluxQuery.
type influxBuilder struct{ q InfluxQuery }

// Build implements cog.Builder.
func (b *influxBuilder) Build() (variants.Dataquery, error) { return b.q, nil }

// influxql is a time-series InfluxQL query; alias names the series ("$tag_station" works).
func influxql(refID, query, alias string) *influxBuilder {
	return &influxBuilder{InfluxQuery{RefID: refID, Datasource: influxDS(), Query: query, RawQuery: true,
		ResultFormat: "time_series", Alias: alias}}
}

// influxTable is an InfluxQL query whose result is shown as a table.
func influxTable(refID, query string) *influxBuilder {
	return &influxBuilder{InfluxQuery{RefID: refID, Datasource: influxDS(), Query: query, RawQuery: true,
		ResultFormat: "table"}}
}

// promRange is a PromQL range query.
func promRange(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(refID).Datasource(promDS()).Expr(expr).LegendFormat(legend).Range()
}

// promInstant is a PromQL instant query.
func promInstant(refID, expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().RefId(refID).Datasource(promDS()).Expr(expr).LegendFormat(legend).Instant()
}

// promTable is an instant PromQL query formatted as a table: one row per series, a column
// per label.
func promTable(refID, expr string) *prometheus.DataqueryBuilder {
	return promInstant(refID, expr, "").Format(prometheus.PromQueryFormatTable)
}

// Template variables. Station lists come from quantrac_station_info, so the province choice
// narrows them; "All" of province is ".*" so that stations without a province tag show too.
func provinceVar() *dashboard.QueryVariableBuilder {
	return promVar("province", "Province", `label_values(quantrac_station_info, province)`).
		Multi(true).IncludeAll(true).AllValue(".*")
}

// stationVar lists the stations of the chosen provinces; kind "" lists every kind.
func stationVar(kind string, multi bool) *dashboard.QueryVariableBuilder {
	sel := `province=~"$province"`
	if kind != "" {
		sel += `, kind="` + kind + `"`
	}
	v := promVar("station", "Station", `label_values(quantrac_station_info{`+sel+`}, station)`)
	if multi {
		v = v.Multi(true).IncludeAll(true)
	}
	return v
}

// regulationVar lists the regulations evaluated at the chosen stations.
func regulationVar() *dashboard.QueryVariableBuilder {
	return promVar("regulation", "Regulation", `label_values(quantrac_violation{station=~"$station"}, regulation)`).
		Multi(true).IncludeAll(true)
}

func promVar(name, label, query string) *dashboard.QueryVariableBuilder {
	return dashboard.NewQueryVariableBuilder(name).Label(label).
		Query(dashboard.StringOrMap{String: &query}).Definition(query).
		Datasource(promDS()).Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
		Sort(dashboard.VariableSortAlphabeticalAsc)
}

// steps builds absolute thresholds: base colour, then (value, colour) pairs in order.
func steps(base string, pairs ...any) *dashboard.ThresholdsConfigBuilder {
	s := []dashboard.Threshold{{Color: base}}
	for i := 0; i+1 < len(pairs); i += 2 {
		v := toFloat(pairs[i])
		s = append(s, dashboard.Threshold{Value: &v, Color: pairs[i+1].(string)})
	}
	return dashboard.NewThresholdsConfigBuilder().Mode(dashboard.ThresholdsModeAbsolute).Steps(s)
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic("threshold value must be int or float64")
}

// valueText maps exact values to a text and a colour: value, text, colour triples.
func valueText(triples ...string) []dashboard.ValueMapping {
	opts := map[string]dashboard.ValueMappingResult{}
	for i := 0; i+2 < len(triples); i += 3 {
		text, color := triples[i+1], triples[i+2]
		idx := int32(i / 3)
		opts[triples[i]] = dashboard.ValueMappingResult{Text: &text, Color: &color, Index: &idx}
	}
	return []dashboard.ValueMapping{{ValueMap: &dashboard.ValueMap{Type: dashboard.MappingTypeValueToText, Options: opts}}}
}

// aqiSteps are the category colours shared by VN_AQI (Decision 1459/QĐ-TCMT) and the US EPA
// AQI: the band edges 51, 101, 151, 201, 301 are the same in both.
func aqiSteps() *dashboard.ThresholdsConfigBuilder {
	return steps("#00E400", 51, "#FFFF00", 101, "#FF7E00", 151, "#FF0000", 201, "#8F3F97", 301, "#7E0023")
}

// transformation is a Grafana data transformation.
func transformation(id string, options any) dashboard.DataTransformerConfig {
	return dashboard.DataTransformerConfig{Id: id, Options: options}
}

// organize renames and hides table columns: hide lists columns to drop, rename maps old→new.
func organize(hide []string, rename map[string]string) dashboard.DataTransformerConfig {
	ex := map[string]bool{}
	for _, h := range hide {
		ex[h] = true
	}
	return transformation("organize", map[string]any{"excludeByName": ex, "renameByName": rename})
}

// panelIDs hands out panel ids in order, so the JSON is stable.
type panelIDs struct{ next uint32 }

func (p *panelIDs) id() uint32 { p.next++; return p.next }

// row is a collapsed-false row that groups the panels after it.
func row(title string) *dashboard.RowBuilder { return dashboard.NewRowBuilder(title) }

// The SDK deprecates its v1 dashboard model in favour of dashboardv2, the schema of Grafana
// 12's new dashboards API. File provisioning (deploy/grafana/provisioning) and Grafana 11 load
// the v1 JSON model, so the generator writes v1.
type (
	dashboardBuilder = dashboard.DashboardBuilder //nolint:staticcheck // v1 is what file provisioning loads
	dashboardModel   = dashboard.Dashboard        //nolint:staticcheck // v1 is what file provisioning loads
)

// newDashboard sets what every quantrac dashboard shares.
func newDashboard(uid, title, description string) *dashboardBuilder {
	b := dashboard.NewDashboardBuilder(title) //nolint:staticcheck // v1: see dashboardBuilder
	return b.Uid(uid).Description(description).
		Tags([]string{"quantrac"}).Refresh("1m").Time("now-24h", "now").
		Timezone(common.TimeZoneBrowser).Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Link(dashboard.NewDashboardLinkBuilder("quantrac").Type(dashboard.DashboardLinkTypeDashboards).
			Tags([]string{"quantrac"}).AsDropdown(true).IncludeVars(true).KeepTime(true))
}

// mapLayer is a geomap layer under construction.
type mapLayer = cog.Builder[common.MapLayerOptions]

// mustBuild builds what a builder holds, for values the SDK takes already built (overrides).
// The builders passed here are constants of this program, so an error is a bug.
func mustBuild[T any](b cog.Builder[T]) T {
	v, err := b.Build()
	if err != nil {
		panic(err)
	}
	return v
}
