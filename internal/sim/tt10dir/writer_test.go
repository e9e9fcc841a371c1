package tt10dir

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
	"github.com/quantrac/quantrac/internal/sim/payload"
)

var ict = time.FixedZone("ICT", 7*3600)

func TestPath(t *testing.T) {
	stations, err := sim.Stations(3, 1)
	if err != nil {
		t.Fatal(err)
	}
	reg, _ := quantrac.NewRegistry(stations...)
	ww := stations[2]
	at := time.Date(2026, 11, 28, 7, 5, 0, 0, time.UTC) // 14:05 in Lai Châu
	tests := []struct {
		name   string
		layout Layout
		bad    sim.BadKind
		want   string
	}{
		{"dated", Dated, sim.Good, "SIMWW0001/2026/11/28/LC_SIM_SIMWW0001_20261128140500.txt"},
		{"flat", Flat, sim.Good, "LC_SIM_SIMWW0001_20261128140500.txt"},
		{"wrong station: another station's name in this station's folder", Dated, sim.BadWrongStation,
			"SIMWW0001/2026/11/28/LC_SIM_SIMAQ0001_20261128140500.txt"},
		{"unknown station", Dated, sim.BadUnknownStation, "UNREGSIMWW0001/2026/11/28/LC_SIM_UNREGSIMWW0001_20261128140500.txt"},
	}
	for _, tc := range tests {
		var m sim.Message
		(&sim.Model{}).Message(&m, ww, at)
		m.Bad = tc.bad
		m.ApplyBad(at, stations[0].ID)
		w := &Writer{Dir: "/x", Layout: tc.layout, Registry: reg}
		if got := w.Path(&m); got != filepath.FromSlash(tc.want) {
			t.Errorf("%s: %s, want %s", tc.name, got, tc.want)
		}
	}
}

func TestTokens(t *testing.T) {
	for prov, want := range map[string]string{"Lai Châu": "LC", "Đà Nẵng": "DN", "Hà Nội": "HN", "Thừa Thiên Huế": "TTH", "": "VN"} {
		st := &quantrac.Station{ID: "X", Tags: map[string]string{"province": prov}}
		if got := ProvinceToken(st); got != want {
			t.Errorf("ProvinceToken(%q) = %q, want %q", prov, got, want)
		}
	}
	if got := FacilityToken(&quantrac.Station{Tags: map[string]string{"facility": "KCN Tam-Đường"}}); got != "KCNTamDuong" {
		t.Errorf("facility token %q", got)
	}
	if got := FacilityToken(&quantrac.Station{}); got != DefaultFacility {
		t.Errorf("default facility token %q", got)
	}
}

// Files are written complete under their final names, with no temporary file left behind,
// and hold exactly the payload.
func TestWrite(t *testing.T) {
	stations, _ := sim.Stations(3, 2)
	dir := t.TempDir()
	w := &Writer{Dir: dir, Layout: Dated}
	model := sim.Model{Seed: 2}
	start := time.Date(2026, 11, 28, 0, 0, 0, 0, ict)
	want := map[string][]byte{}
	for i := range 288 { // a day of 5-minute records of one station
		var m sim.Message
		model.Message(&m, stations[2], start.Add(time.Duration(i)*5*time.Minute))
		p := payload.TT10.Encode(nil, &m)
		path, err := w.Write(&m, p)
		if err != nil {
			t.Fatal(err)
		}
		want[path] = p
	}
	var files int
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		if strings.HasPrefix(d.Name(), ".") || strings.HasSuffix(d.Name(), ".tmp") {
			t.Errorf("temporary file left: %s", path)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if string(got) != string(want[path]) {
			t.Errorf("%s holds %q, want %q", path, got, want[path])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files != 288 {
		t.Errorf("%d files, want 288", files)
	}
	if _, err := os.Stat(filepath.Join(dir, "SIMWW0001", "2026", "11", "28", "LC_SIM_SIMWW0001_20261128235500.txt")); err != nil {
		t.Error(err)
	}
}

func TestParseLayout(t *testing.T) {
	if l, err := ParseLayout("flat"); err != nil || l != Flat {
		t.Errorf("flat: %v %v", l, err)
	}
	if _, err := ParseLayout("tree"); err == nil {
		t.Error("tree accepted")
	}
}
