package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
)

// History reads stored valid readings back from InfluxDB, for rebuilding rule windows and
// AQI trackers after a restart (rules.History).
type History struct {
	q        *Querier
	registry func() *quantrac.Registry
	isParam  func(string) bool
}

// NewHistory returns a History over q; isParam says which field names are parameters.
func NewHistory(q *Querier, registry func() *quantrac.Registry, isParam func(string) bool) *History {
	return &History{q: q, registry: registry, isParam: isParam}
}

// Readings calls fn for each stored valid reading of station measured at or after since.
func (h *History) Readings(ctx context.Context, station string, since time.Time, fn func(quantrac.Reading)) error {
	st := h.registry().Station(station)
	if st == nil {
		return nil
	}
	q := fmt.Sprintf("SELECT * FROM %q WHERE station = %s AND time >= %d", string(st.Kind), QuoteString(st.ID), since.UnixNano())
	return h.q.QueryEach(ctx, q, func(s Series) error {
		for _, row := range s.Values {
			if len(row) == 0 {
				continue
			}
			ns, err := row[0].(json.Number).Int64()
			if err != nil {
				continue
			}
			t := time.Unix(0, ns)
			for i := 1; i < len(row) && i < len(s.Columns); i++ {
				num, ok := row[i].(json.Number)
				if !ok || !h.isParam(s.Columns[i]) {
					continue
				}
				v, err := num.Float64()
				if err != nil {
					continue
				}
				fn(quantrac.Reading{Station: st.ID, Kind: st.Kind, Param: s.Columns[i], Value: v, Time: t, Status: quantrac.StatusMeasuring})
			}
		}
		return nil
	})
}
