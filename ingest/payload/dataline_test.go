package payload

import (
	"errors"
	"strings"
	"testing"

	"github.com/quantrac/quantrac"
	"golang.org/x/text/unicode/norm"
)

// TestDataLineRealFiles covers what real Circular 10/2021 files hold beyond the standard
// records: header lines, decomposed UTF-8, and status-02 (device fault) records.
func TestDataLineRealFiles(t *testing.T) {
	ww := func(p string, v float64, st string) quantrac.Reading { return withStatus(wwReading(p, v), st) }
	nfd := func(s string) string { return norm.NFD.String(s) }
	runDecodeCases(t, []decodeCase{
		{name: "Vietnamese column titles", format: DataLine, station: "LC-WW-01",
			payload: "\ufeffThông số\tGiá trị\tĐơn vị\tThời gian\tTrạng thái\r\nCOD\t80\tmg/L\t20261128140500\t00\r\n",
			want:    []quantrac.Reading{ww("cod", 80, "00")}},
		{name: "English titles and a title line, white space", format: DataLine, station: "LC-WW-01",
			payload: "Tram quan trac NUO-001\nParameter Value Unit Time Status\n\nTSS 10 mg/L 20261128140500 00\n",
			want:    []quantrac.Reading{ww("tss", 10, "00")}},
		{name: "header then one-line records", format: DataLine, station: "LC-WW-01",
			payload: "Ky hieu\tKet qua\tDon vi\tThoi gian\tTrang thai\nFlow\t12,5\tm3/h\t20261128140500\t00\tpH\t7\t-\t20261128140500\t00",
			want:    []quantrac.Reading{ww("flow", 12.5, "00"), ww("ph", 7, "00")}},
		{name: "text after the first record is not a header", format: DataLine, station: "LC-WW-01",
			payload: "COD\t80\tmg/L\t20261128140500\t00\nKet thuc\n", err: "malformed"},
		{name: "a broken record is not a header", format: DataLine, station: "LC-WW-01",
			payload: "COD 80 mg/L\nTSS 10 mg/L 20261128140500 00", err: "malformed"},
		{name: "only a header", format: DataLine, station: "LC-WW-01", payload: "Thông số\tGiá trị\tĐơn vị\n", err: "malformed"},
		{name: "cut after the first field", format: DataLine, station: "LC-WW-01", payload: "\ufeffFlow\r\n", err: "malformed"},
		{name: "empty", format: DataLine, station: "LC-WW-01", payload: "\r\n", err: "malformed"},
		{name: "decomposed UTF-8 name, white space", format: DataLine, station: "LC-WW-01",
			payload: nfd("Nhiệt độ 25,6 °C 20261128140500 00\nLưu lượng 120 m3/h 20261128140500 00"),
			want:    []quantrac.Reading{ww("temp", 25.6, "00"), ww("flow", 120, "00")}},
		{name: "decomposed UTF-8 header and name, TABs", format: DataLine, station: "LC-WW-01",
			payload: nfd("Thông số\tGiá trị\nNhiệt độ\t25.6\t°C\t20261128140500\t00"),
			want:    []quantrac.Reading{ww("temp", 25.6, "00")}},
	})
}

// A status-02 record keeps the value it reports, flagged; a record without a value is
// rejected as not_a_number and never becomes a 0.
func TestDataLineStatus02(t *testing.T) {
	ww := func(p string, v float64) quantrac.Reading { return withStatus(wwReading(p, v), quantrac.StatusFault) }
	runDecodeCases(t, []decodeCase{
		{name: "reported values kept", format: DataLine, station: "LC-WW-01",
			payload: "COD\t81,5\tmg/L\t20261128140500\t02\nTSS\t0\tmg/L\t20261128140500\t02\nFlow 3.25 m3/h 20261128140500 2",
			want:    []quantrac.Reading{ww("cod", 81.5), ww("tss", 0), ww("flow", 3.25)}},
		{name: "missing values rejected", format: DataLine, station: "LC-WW-01",
			payload: "COD\t\tmg/L\t20261128140500\t02\n" + // empty field
				"TSS\tmg/L\t20261128140500\t02\n" + // value left out, unit in its place
				"NH4\t\t\t20261128140500\t02\n" + // value and unit empty
				"TP mg/L 20261128140500 02\n" + // white space, no number
				"TN - mg/L 20261128140500 02\n" + // dash
				"pH\tNA\t-\t20261128140500\t02\n" +
				"20261128140500 TOC\n" + // legacy layout without value
				"20261128140500\tColor\t\tPt-Co\t02",
			rejects: []string{"not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number", "not_a_number"}},
		{name: "one line, middle record without value", format: DataLine, station: "LC-WW-01",
			payload: "COD\t80\tmg/L\t20261128140500\t00\tTSS\t\tmg/L\t20261128140500\t02\tpH\t7,2\t\t20261128140500\t02",
			want:    []quantrac.Reading{withStatus(wwReading("cod", 80), "00"), ww("ph", 7.2)},
			rejects: []string{"not_a_number"}},
	})
	// Whatever the layout, a status-02 reading goes to the flagged measurement (not Valid).
	got, err := parse(t, DataLine, "LC-WW-01", "COD\t81\tmg/L\t20261128140500\t02")
	if err != nil || len(got.Readings) != 1 || got.Readings[0].Valid() || got.Readings[0].Value != 81 {
		t.Fatalf("status 02 reading %v (%v): want value 81, not valid", got.Readings, err)
	}
}

// Header lines and decomposed text must not cost the common case anything: the parser reuses
// its memory, and a plain file decodes with the same allocations as before.
func TestDataLineHeaderNoExtraAllocs(t *testing.T) {
	st := testRegistry(t).Station("LC-WW-01")
	p := NewParser(Limits{})
	var out Result
	plain := []byte("COD\t80\tmg/L\t20261128140500\t00\nTSS\t10\tmg/L\t20261128140500\t00\n")
	header := []byte("Thông số\tGiá trị\tĐơn vị\tThời gian\tTrạng thái\n" + string(plain))
	run := func(b []byte) float64 {
		return testing.AllocsPerRun(50, func() {
			out.Reset()
			if err := p.Parse(DataLine, st, st.Kind, b, testNow, &out); err != nil {
				t.Fatal(err)
			}
		})
	}
	if a, b := run(plain), run(header); b > a {
		t.Errorf("a header line costs %v allocations per message, a plain file %v", b, a)
	}
}

// The error of a file of headers only says why.
func TestDataLineNoRecordsError(t *testing.T) {
	_, err := parse(t, DataLine, "LC-WW-01", "Parameter\tValue\tUnit\n")
	var me *MessageError
	if !errors.As(err, &me) || me.Reason != ReasonMalformed || !strings.Contains(err.Error(), "no data records") {
		t.Fatalf("error %v, want malformed: no data records", err)
	}
}
