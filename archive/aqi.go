package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// AQI is the latest index of a station in one scheme.
type AQI struct {
	Station  string    `json:"station"`
	Scheme   string    `json:"scheme"`
	Period   string    `json:"period"`
	Value    int       `json:"aqi"`
	Category string    `json:"category"`
	Dominant string    `json:"dominant"`
	Time     time.Time `json:"time"`
}

// LatestAQIQuery returns the InfluxQL statement LatestAQI runs: the last hourly index of each
// station and scheme since the given time.
func LatestAQIQuery(since time.Time) string {
	return fmt.Sprintf(`SELECT last("aqi") AS "aqi", "category", "dominant" FROM "aqi" WHERE "period" = '1h' AND time > %d GROUP BY "station", "scheme"`, since.UnixNano())
}

// LatestAQI returns the last hourly index of every station and scheme since the given time.
func (a *Archive) LatestAQI(ctx context.Context, since time.Time) ([]AQI, error) {
	series, err := a.q.Query(ctx, LatestAQIQuery(since))
	if err != nil {
		return nil, err
	}
	var out []AQI
	for _, s := range series {
		for _, row := range s.Values {
			ns, err := cellInt(row, 0)
			if err != nil || len(row) < 4 {
				continue
			}
			n, ok := row[1].(json.Number)
			if !ok {
				continue
			}
			v, _ := n.Int64()
			cat, _ := row[2].(string)
			dom, _ := row[3].(string)
			out = append(out, AQI{Station: s.Tags["station"], Scheme: s.Tags["scheme"], Period: "1h",
				Value: int(v), Category: cat, Dominant: dom, Time: time.Unix(0, ns).UTC()})
		}
	}
	return out, nil
}
