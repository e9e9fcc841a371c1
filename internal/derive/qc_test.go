package derive

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules"
)

// stationSpans are the spans of each station, as qcview.View gives them.
type stationSpans map[string]quantrac.QCSpans

func (m stationSpans) Spans(station string) quantrac.QCSpans { return m[station] }

// pmFault invalidates A1's PM2.5 and PM10 for the hours ending 26 Nov 07:00 … 12:00.
var pmFault = quantrac.QCSpans{
	{ID: "1", Station: "A1", Parameter: "pm25", Action: quantrac.QCInvalidate, From: backlogStart.Add(30*time.Hour + time.Second), To: backlogStart.Add(36 * time.Hour)},
	{ID: "2", Station: "A1", Parameter: "pm10", Action: quantrac.QCInvalidate, From: backlogStart.Add(30*time.Hour + time.Second), To: backlogStart.Add(36 * time.Hour)},
}

// validOnly leaves out the readings the spans make invalid.
func validOnly(rs []quantrac.Reading, ss quantrac.QCSpans) []quantrac.Reading {
	return slices.DeleteFunc(slices.Clone(rs), func(r quantrac.Reading) bool { return ss.Invalid(r.Param, r.Time) })
}

// perInstant splits readings into one message per time, as a live station sends them.
func perInstant(rs []quantrac.Reading) [][]quantrac.Reading {
	var out [][]quantrac.Reading
	for i := 0; i < len(rs); {
		j := i + 1
		for j < len(rs) && rs[j].Time.Equal(rs[i].Time) {
			j++
		}
		out = append(out, rs[i:j])
		i = j
	}
	return out
}

// Readings a span makes invalid count in no index: a live stream through a Deriver with the
// spans gives the indices an in-order tracker gives of the valid readings alone, and the
// envelope keeps every reading with its own status for the store.
func TestInvalidReadingsCountInNoIndex(t *testing.T) {
	d, st := backlogDeriver(t)
	d.SetSpans(stationSpans{"A1": pmFault})
	rs := hourlyReadings(0, 72)
	got, _ := derived(d, st, perInstant(rs)...)
	if s := diff(got, reference(validOnly(rs, pmFault))); s != "[]" {
		t.Errorf("indices differ from those of the valid readings: %s", s)
	}
	e := &quantrac.Envelope{Station: st, Readings: hourlyReadings(31, 32)}
	d.Observe(e)
	for _, r := range e.Readings {
		if r.Status != quantrac.StatusMeasuring {
			t.Errorf("the envelope's %s reading has status %q: the store must write it as it came", r.Param, r.Status)
		}
	}
}

// memHistory serves the hourly aggregates of readings each stamped on its hour's end.
type memHistory struct {
	rules.History
	rs []quantrac.Reading
}

func (h memHistory) Aggregates(_ context.Context, q rules.AggregateQuery, fn func(rules.Aggregate) error) error {
	for _, r := range h.rs {
		if !r.Time.After(q.Since) || (!q.Until.IsZero() && r.Time.After(q.Until)) || !slices.Contains(q.Fields, r.Param) {
			continue
		}
		if err := fn(rules.Aggregate{Station: r.Station, Param: r.Param, End: r.Time, Count: 1, Sum: r.Value}); err != nil {
			return err
		}
	}
	return nil
}

// A span added after its hours were indexed: Revise gives again the indices of every hour
// and day from its start, equal to those of the valid readings alone, and the station's
// tracker goes on from the valid readings.
func TestReviseAfterASpan(t *testing.T) {
	d, st := backlogDeriver(t)
	rs := hourlyReadings(0, 60)
	got, _ := derived(d, st, perInstant(rs)...)
	valid := validOnly(rs, pmFault)
	idx, err := d.Revise(t.Context(), memHistory{rs: valid}, "A1", pmFault[0].From, backlogStart.Add(60*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(idx) == 0 {
		t.Fatal("Revise gave no index")
	}
	for _, i := range idx {
		if i.End.Before(backlogStart.Add(31 * time.Hour)) {
			t.Errorf("Revise gave the index of %s, before the span", i.End)
		}
		got[pointKey{i.Scheme, i.Period, i.End.UTC()}] = i.Value
	}
	more := hourlyReadings(60, 72)
	after, _ := derived(d, st, perInstant(more)...)
	for k, v := range after {
		got[k] = v
	}
	want := reference(slices.Concat(valid, more))
	for k := range got {
		// An hour left without an index keeps the one stored before (README "Data quality"):
		// VN_AQI's hours of the span have none without PM.
		if _, ok := want[k]; !ok && k.period == PeriodHourly && k.end.After(pmFault[0].From) && !k.end.After(pmFault[0].To.Add(2*time.Hour)) {
			delete(got, k)
		}
	}
	if s := diff(got, want); s != "[]" {
		t.Errorf("indices after Revise differ from those of the valid readings: %s", s)
	}
}
