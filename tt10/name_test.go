package tt10

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// File names as real dataloggers write them (Circular 10/2021's naming rule; README.md,
// "Station data files (Circular 10/2021)").
func TestParseName(t *testing.T) {
	tests := []struct {
		base, prefix, stamp string
		tokens              []string
	}{
		// Phụ lục 15: <TenTinh>_<TenCoSo>_<TenTram>_<yyyyMMddHHmmss>.txt (quytttb fixture)
		{"HN_ABCD_NUO001_20260101120000.txt", "HN_ABCD_NUO001", "20260101120000", []string{"HN", "ABCD", "NUO001"}},
		// Giaitd station app prefix
		{"HN_HONG_NUOHON_20260101120000.txt", "HN_HONG_NUOHON", "20260101120000", []string{"HN", "HONG", "NUOHON"}},
		// legacy "theo công văn cũ": <StationName><yyyyMMddHHmmss>.txt
		{"KCNDiemThuy20170228145700.txt", "KCNDiemThuy", "20170228145700", []string{"KCNDiemThuy"}},
		// Arduino monre firmware: <STATION>_<YYYYMMDDhhmmss>.txt
		{"TRAM01_20260101120000.txt", "TRAM01", "20260101120000", []string{"TRAM01"}},
		// Envisoft-derived EOS: province_stationcode_type_datetime.txt
		{"LC_NUO001_NT_20260101120000.txt", "LC_NUO001_NT", "20260101120000", []string{"LC", "NUO001", "NT"}},
		// stationsim, upper-case extension, a legacy name ending in a digit
		{"LC_SIM_SIMWW0001_20261128140500.TXT", "LC_SIM_SIMWW0001", "20261128140500", []string{"LC", "SIM", "SIMWW0001"}},
		{"Tram1" + "20170228145700.txt", "Tram1", "20170228145700", []string{"Tram1"}},
	}
	for _, tc := range tests {
		n, err := ParseName(tc.base)
		if err != nil {
			t.Errorf("%s: %v", tc.base, err)
			continue
		}
		if n.Base != tc.base || n.Prefix != tc.prefix || n.Stamp != tc.stamp || !slices.Equal(n.Tokens, tc.tokens) {
			t.Errorf("%s: got %+v", tc.base, n)
		}
	}
	for _, bad := range []string{
		"readme.txt", "HN_ABCD_NUO001.txt", "HN_ABCD_NUO001_20261301120000.txt", "HN_ABCD_NUO001_20260230120000.txt",
		"_20260101120000.txt", "20260101120000.txt", "__20260101120000.txt", "X_2026010112000.txt",
		"HN_ABCD_NUO001_20260101120000.csv", "HN_ABCD_NUO001_20260101120000.txt.part", "",
	} {
		if n, err := ParseName(bad); !errors.Is(err, ErrBadName) {
			t.Errorf("%q: parsed as %+v, %v", bad, n, err)
		}
	}
}

func TestNameTimeIsLocal(t *testing.T) {
	n, err := ParseName("HN_ABCD_NUO001_20260101120000.txt")
	if err != nil {
		t.Fatal(err)
	}
	ict, _ := time.LoadLocation(quantrac.DefaultTimezone)
	if got, want := n.Time(ict), time.Date(2026, 1, 1, 5, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("time %v, want %v (12:00 ICT)", got, want)
	}
}

func TestCandidates(t *testing.T) {
	n, _ := ParseName("HN_ABCD_NUO001_20260101120000.txt")
	want := []string{"HN_ABCD_NUO001", "NUO001", "ABCD", "HN", "ABCD_NUO001", "HN_ABCD"}
	if got := n.Candidates(); !slices.Equal(got, want) {
		t.Errorf("candidates %v, want %v", got, want)
	}
	n, _ = ParseName("KCNDiemThuy20170228145700.txt")
	if got := n.Candidates(); !slices.Equal(got, []string{"KCNDiemThuy"}) {
		t.Errorf("legacy candidates %v", got)
	}
}

// testStations is a registry whose aliases are the codes of the names above.
func testStations(t testing.TB) *quantrac.Registry {
	t.Helper()
	reg, err := quantrac.NewRegistry(
		&quantrac.Station{ID: "LC-WW-01", Kind: quantrac.Wastewater, Aliases: []string{"NUO001"}},
		&quantrac.Station{ID: "LC-WW-02", Kind: quantrac.Wastewater, Aliases: []string{"KCNDiemThuy"}},
		&quantrac.Station{ID: "LC-AQ-01", Kind: quantrac.Air, Aliases: []string{"HN_HONG_NUOHON"}},
		&quantrac.Station{ID: "LC-WW-03", Kind: quantrac.Wastewater, Aliases: []string{"NUO003"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

func TestResolve(t *testing.T) {
	reg := testStations(t)
	tests := []struct {
		rel, station, reason string
	}{
		{"NUO001/2026/01/01/HN_ABCD_NUO001_20260101120000.txt", "LC-WW-01", ""},
		{"HN_ABCD_NUO001_20260101120000.txt", "LC-WW-01", ""},
		{"KCNDiemThuy20170228145700.txt", "LC-WW-02", ""},
		{"KCNDiemThuy/2017/Thang02/20170228/KCNDiemThuy20170228145700.txt", "LC-WW-02", ""},
		{"LC_NUO001_NT_20260101120000.txt", "LC-WW-01", ""},              // code anywhere between "_"
		{"HN_HONG_NUOHON_20260101120000.txt", "LC-AQ-01", ""},            // alias spelling out the prefix
		{"LC_SIM_LC-WW-03_20260101120000.txt", "LC-WW-03", ""},           // the id itself
		{"ftp/NUO001/2026/01/01/OLD_20260101120000.txt", "LC-WW-01", ""}, // routed by its folder
		{"NUO001/2026/01/01/LC_SIM_KCNDiemThuy_20260101120000.txt", "", ResultForbidden},
		{"LC_SIM_NUO999_20260101120000.txt", "", ResultUnknownStation},
		{"2026/01/01/LC_SIM_NUO999_20260101120000.txt", "", ResultUnknownStation},
		{"NUO001/readme.txt", "", ResultBadName},
		{"X_NUO003_NUO001_20260101120000.txt", "", ResultAmbiguousName},
		// A file is routed by the upload root folder of its station: a folder named after
		// another station below it routes nothing, and refuses the file.
		{"NUO001/NUO003/2026/01/01/LC_SIM_NUO003_20260101120000.txt", "", ResultForbidden},
		{"NUO001/NUO003/2026/01/01/OLD_20260101120000.txt", "", ResultForbidden},
		{"ftp/NUO001/x/NUO003/OLD_20260101120000.txt", "", ResultForbidden},
		{"NUO001/LC-WW-01/2026/01/01/OLD_20260101120000.txt", "LC-WW-01", ""}, // the same station twice
	}
	for _, tc := range tests {
		st, n, rj := Resolve(reg, tc.rel)
		switch {
		case tc.reason != "":
			if rj == nil || rj.Reason != tc.reason {
				t.Errorf("%s: station %v, rejection %v; want %s", tc.rel, st, rj, tc.reason)
			}
		case rj != nil:
			t.Errorf("%s: %v", tc.rel, rj)
		case st.ID != tc.station || n.Stamp == "":
			t.Errorf("%s: station %s, name %+v; want %s", tc.rel, st.ID, n, tc.station)
		}
	}
}
