package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

func TestStations(t *testing.T) {
	st, err := Stations(30, 1)
	if err != nil {
		t.Fatal(err)
	}
	var air, ww int
	for _, s := range st {
		switch s.Kind {
		case quantrac.Air:
			air++
			if !strings.HasPrefix(s.ID, "SIM-AQ-") || !s.HasRegulation("QCVN-05:2023") || len(s.AQI) != 2 {
				t.Errorf("air station %+v", s)
			}
		case quantrac.Wastewater:
			ww++
			if !strings.HasPrefix(s.ID, "SIM-WW-") || !s.HasRegulation("QCVN-40:2011/B") || s.Coefficient("kq") != 0.9 {
				t.Errorf("wastewater station %+v", s)
			}
		}
		if s.Location.Lat < 21.7 || s.Location.Lat > 22.8 || s.Location.Lon < 102.2 || s.Location.Lon > 104 {
			t.Errorf("%s at %v is not in Lai Châu", s.ID, s.Location)
		}
		if s.Tags["province"] != "Lai Châu" || s.Interval != 5*time.Minute || s.TimeLocation().String() != "Asia/Ho_Chi_Minh" {
			t.Errorf("%s: tags %v interval %v tz %v", s.ID, s.Tags, s.Interval, s.TimeLocation())
		}
	}
	if air != 20 || ww != 10 {
		t.Errorf("%d air and %d wastewater stations, want 20 and 10", air, ww)
	}
	if st[0].ID != "SIM-AQ-0001" || st[2].ID != "SIM-WW-0001" || FileToken(st[2]) != "SIMWW0001" {
		t.Errorf("ids %s %s token %s", st[0].ID, st[2].ID, FileToken(st[2]))
	}
	again, _ := Stations(30, 1)
	if again[5].Location != st[5].Location || again[5].Name != st[5].Name {
		t.Error("generation is not deterministic")
	}
}

// The printed registry loads with quantrac's own parser into the same stations.
func TestRegistryYAMLLoads(t *testing.T) {
	st, err := Stations(12, 4)
	if err != nil {
		t.Fatal(err)
	}
	y, err := RegistryYAML(st)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := quantrac.ParseRegistry(y, "generated.yaml", quantrac.RegistryOptions{})
	if err != nil {
		t.Fatalf("%v\n%s", err, y)
	}
	if reg.Len() != len(st) {
		t.Fatalf("%d stations loaded, want %d", reg.Len(), len(st))
	}
	for i, s := range reg.Stations() {
		w := st[i]
		if s.ID != w.ID || s.Name != w.Name || s.Kind != w.Kind || s.Location != w.Location ||
			s.Interval != w.Interval || s.Timezone != w.Timezone || s.Tags["province"] != "Lai Châu" ||
			strings.Join(s.Regulations, ",") != strings.Join(w.Regulations, ",") ||
			strings.Join(s.AQI, ",") != strings.Join(w.AQI, ",") || s.Coefficient("kq") != w.Coefficient("kq") ||
			reg.Station(FileToken(w)) != s {
			t.Errorf("station %d: loaded %+v, generated %+v", i, s, w)
		}
	}
	if !strings.Contains(string(y), "interval: 5m\n") {
		t.Errorf("interval not written as 5m:\n%s", y)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Minute: "5m", 10 * time.Minute: "10m", time.Hour: "1h",
		90 * time.Minute: "1h30m", 30 * time.Second: "30s", 0: ""} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}
