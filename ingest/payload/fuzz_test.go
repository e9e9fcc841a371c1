package payload

import (
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/quantrac/quantrac/param"
)

// Seed corpora live in testdata/fuzz/<FuzzName>/; the golden inputs are added as seeds too.

func FuzzParseJSON(f *testing.F)     { fuzzParse(f, JSON) }
func FuzzParseSenML(f *testing.F)    { fuzzParse(f, SenML) }
func FuzzParseLine(f *testing.F)     { fuzzParse(f, LineProtocol) }
func FuzzParseDataLine(f *testing.F) { fuzzParse(f, DataLine) }

// fuzzParse checks, for the format and for Auto: Parse never panics; a failure is a
// *MessageError that leaves the result untouched; every reading is valid; every rejection has
// a known reason; and a reused parser gives the same result again.
func fuzzParse(f *testing.F, format Format) {
	reg := testRegistry(f)
	known := RejectedReadingReasons()
	f.Fuzz(func(t *testing.T, payload []byte) {
		for _, st := range reg.Stations() {
			p := NewParser(Limits{MaxReadings: 50, MaxArray: 50, MaxStringLen: 256})
			for _, fm := range []Format{format, Auto} {
				var first Result
				for round := range 2 {
					var out Result
					err := p.Parse(fm, st, st.Kind, payload, testNow, &out)
					if err != nil {
						var me *MessageError
						if !errors.As(err, &me) || (me.Reason != ReasonMalformed && me.Reason != ReasonForbidden) {
							t.Fatalf("%v: error %v is not a malformed or forbidden MessageError", fm, err)
						}
						if len(out.Readings)+len(out.Rejected) != 0 {
							t.Fatalf("%v: failed message left %d readings, %d rejections", fm, len(out.Readings), len(out.Rejected))
						}
					}
					if len(out.Readings) > 50 {
						t.Fatalf("%v: %d readings beyond MaxReadings", fm, len(out.Readings))
					}
					for _, r := range out.Readings {
						prm, ok := param.Lookup(r.Param)
						switch {
						case !ok || prm.ID != r.Param:
							t.Fatalf("%v: reading with non-canonical parameter %q", fm, r.Param)
						case math.IsNaN(r.Value) || math.IsInf(r.Value, 0) || !prm.InRange(r.Value):
							t.Fatalf("%v: reading %+v out of range or not finite", fm, r)
						case r.Station != st.ID || r.Kind != st.Kind || r.Status == "":
							t.Fatalf("%v: reading %+v has wrong station, kind or status", fm, r)
						case r.Time.After(testNow.Add(p.lim.MaxFutureSkew)) || r.Time.Before(testNow.Add(-p.lim.MaxAge)):
							t.Fatalf("%v: reading %+v outside the time limits", fm, r)
						case r.Maintenance != st.InMaintenance(r.Time):
							t.Fatalf("%v: reading %+v has a wrong maintenance flag", fm, r)
						}
					}
					for _, rj := range out.Rejected {
						if !slices.Contains(known, rj.Reason) {
							t.Fatalf("%v: unknown reason %q", fm, rj.Reason)
						}
					}
					if round == 0 {
						first = out
					} else if !slices.Equal(first.Readings, out.Readings) || !slices.Equal(first.Rejected, out.Rejected) {
						t.Fatalf("%v: reused parser decoded differently:\n%v\n%v", fm, first, out)
					}
				}
			}
		}
	})
}
