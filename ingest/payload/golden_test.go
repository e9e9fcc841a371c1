package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenReading is a Reading as written to a golden file.
type goldenReading struct {
	Station     string    `json:"station"`
	Kind        string    `json:"kind"`
	Param       string    `json:"param"`
	Value       float64   `json:"value"`
	Time        time.Time `json:"time"`
	Status      string    `json:"status"`
	Maintenance bool      `json:"maintenance,omitempty"`
}

type goldenResult struct {
	Format   string            `json:"format"`
	Error    string            `json:"error,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	Charset  string            `json:"charset,omitempty"`
	Readings []goldenReading   `json:"readings"`
	Rejected []RejectedReading `json:"rejected"`
}

// TestGolden decodes every testdata/golden/<format>_<aq|ww>_<case>.in for station LC-AQ-01 or
// LC-WW-01 and compares the result with <case>.json. Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/golden/*.in")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in")
		t.Run(name, func(t *testing.T) {
			parts := strings.SplitN(name, "_", 3)
			if len(parts) != 3 {
				t.Fatalf("golden file %s is not named <format>_<aq|ww>_<case>.in", in)
			}
			format, err := ParseFormat(parts[0])
			if err != nil {
				t.Fatal(err)
			}
			station := map[string]string{"aq": "LC-AQ-01", "ww": "LC-WW-01"}[parts[1]]
			payload, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got := goldenJSON(t, format, station, payload)
			file := strings.TrimSuffix(in, ".in") + ".json"
			if *update {
				if err := os.WriteFile(file, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the decoded result (go test -update rewrites it):\n%s", file, got)
			}
		})
	}
}

func goldenJSON(t *testing.T, format Format, station string, payload []byte) []byte {
	t.Helper()
	st := testRegistry(t).Station(station)
	if st == nil {
		t.Fatalf("unknown test station %q", station)
	}
	detected := format
	if format == Auto {
		detected = Detect(payload)
	}
	var out Result
	err := NewParser(Limits{}).Parse(format, st, st.Kind, payload, testNow, &out)
	g := goldenResult{Format: detected.String(), Charset: out.Charset, Readings: []goldenReading{}, Rejected: out.Rejected}
	if err != nil {
		g.Error = err.Error()
		var me *MessageError
		if errors.As(err, &me) {
			g.Reason = me.Reason
		}
	}
	if g.Rejected == nil {
		g.Rejected = []RejectedReading{}
	}
	for _, r := range out.Readings {
		g.Readings = append(g.Readings, goldenReading{r.Station, string(r.Kind), r.Param, r.Value, r.Time, r.Status, r.Maintenance})
	}
	b, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}
