package payload

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	qpayload "github.com/quantrac/quantrac/ingest/payload"
	"github.com/quantrac/quantrac/internal/sim"
)

var ict = time.FixedZone("ICT", 7*3600)

// decoded is what a test parser reads back from a payload.
type decoded struct {
	station string
	time    time.Time
	values  map[string]float64 // canonical units
	status  map[string]string  // per reading, where the format has one
}

func messages(t *testing.T) []*sim.Message {
	t.Helper()
	stations, err := sim.Stations(6, 3)
	if err != nil {
		t.Fatal(err)
	}
	m := sim.Model{Seed: 3, Calibrate: 0.3, AltUnit: 0.5, Params: 9}
	var out []*sim.Message
	for i := range 60 {
		msg := new(sim.Message)
		at := time.Date(2026, 11, 28, 0, 0, 0, 0, ict).Add(time.Duration(i) * 7 * time.Minute)
		if i%5 == 4 {
			at = at.Add(250 * time.Millisecond) // fractional seconds
		}
		m.Message(msg, stations[i%len(stations)], at)
		msg.Bad = sim.Good
		out = append(out, msg)
	}
	return out
}

func TestFormatsEncodeTheMessage(t *testing.T) {
	parsers := map[Format]func(*testing.T, *sim.Message, []byte) decoded{
		JSON: parseJSON, SenML: parseSenML, Line: parseLine, TT10: parseTT10,
	}
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			for _, msg := range messages(t) {
				p := f.Encode(nil, msg)
				got := parsers[f](t, msg, p)
				if f != TT10 && got.station != msg.PayloadID {
					t.Errorf("station %q, want %q", got.station, msg.PayloadID)
				}
				wantTime := msg.Time
				if f == TT10 {
					wantTime = msg.Time.Truncate(time.Second)
				}
				if !got.time.Equal(wantTime) {
					t.Errorf("time %v, want %v\n%s", got.time, wantTime, p)
				}
				if len(got.values) != len(msg.Readings) {
					t.Errorf("%d values, want %d\n%s", len(got.values), len(msg.Readings), p)
				}
				for _, r := range msg.Readings {
					tol := 0.0
					if r.AltUnit && f == JSON {
						tol = 0.15 // ppb rounded to 0.1
					}
					if v, ok := got.values[r.Param]; !ok || math.Abs(v-r.Value) > tol {
						t.Errorf("%s = %v, want %v\n%s", r.Param, v, r.Value, p)
					}
					if f.HasStatus() && got.status[r.Param] != cmpStatus(r, msg) {
						t.Errorf("%s status %q, want %q", r.Param, got.status[r.Param], cmpStatus(r, msg))
					}
				}
			}
		})
	}
}

func cmpStatus(r sim.Reading, m *sim.Message) string {
	if r.Status != "" {
		return r.Status
	}
	return m.Status
}

func parseJSON(t *testing.T, m *sim.Message, p []byte) decoded {
	t.Helper()
	var doc struct {
		Time     time.Time                  `json:"time"`
		Station  string                     `json:"station"`
		Status   string                     `json:"status"`
		Readings map[string]json.RawMessage `json:"readings"`
	}
	if err := json.Unmarshal(p, &doc); err != nil {
		t.Fatalf("%v\n%s", err, p)
	}
	if _, off := doc.Time.Zone(); off != 7*3600 {
		t.Errorf("time %v not in +07:00", doc.Time)
	}
	d := decoded{station: doc.Station, time: doc.Time, values: map[string]float64{}, status: map[string]string{}}
	for k, raw := range doc.Readings {
		var obj struct {
			Value  float64 `json:"value"`
			Unit   string  `json:"unit"`
			Status string  `json:"status"`
		}
		if raw[0] == '{' {
			if err := json.Unmarshal(raw, &obj); err != nil {
				t.Fatal(err)
			}
		} else if err := json.Unmarshal(raw, &obj.Value); err != nil {
			t.Fatal(err)
		}
		if obj.Unit == "ppb" {
			p, _ := sim.LookupParam(m.Kind, k)
			obj.Value = obj.Value * p.MolarMass / MolarVolume
		}
		d.values[k] = obj.Value
		d.status[k] = doc.Status
		if obj.Status != "" {
			d.status[k] = obj.Status
		}
	}
	return d
}

func parseSenML(t *testing.T, m *sim.Message, p []byte) decoded {
	t.Helper()
	var recs []struct {
		Bn string   `json:"bn"`
		Bt float64  `json:"bt"`
		Bu string   `json:"bu"`
		N  string   `json:"n"`
		U  string   `json:"u"`
		V  *float64 `json:"v"`
		T  float64  `json:"t"`
	}
	if err := json.Unmarshal(p, &recs); err != nil {
		t.Fatalf("%v\n%s", err, p)
	}
	d := decoded{values: map[string]float64{}}
	var bn, bu string
	var bt float64
	for _, r := range recs {
		if r.Bn != "" {
			bn = r.Bn
		}
		if r.Bt != 0 {
			bt = r.Bt
		}
		if r.Bu != "" {
			bu = r.Bu
		}
		name := bn + r.N // RFC 8428 §4.5.1: name = base name + name
		st, param, ok := strings.Cut(name, ":")
		if !ok {
			t.Fatalf("name %q", name)
		}
		u := r.U
		if u == "" {
			u = bu
		}
		pp, _ := sim.LookupParam(m.Kind, param)
		if u != SenMLUnit(pp.Unit) {
			t.Errorf("%s unit %q, want %q", param, u, SenMLUnit(pp.Unit))
		}
		d.station = st
		sec := bt + r.T
		d.time = time.Unix(0, int64(math.Round(sec*1e6))*1e3)
		d.values[param] = *r.V
	}
	return d
}

func parseLine(t *testing.T, m *sim.Message, p []byte) decoded {
	t.Helper()
	line := strings.TrimSuffix(string(p), "\n")
	parts := strings.Split(line, " ")
	if len(parts) != 3 || strings.Contains(line, "\n") {
		t.Fatalf("line %q", line)
	}
	meas, tag, _ := strings.Cut(parts[0], ",")
	if meas != string(m.Kind) || !strings.HasPrefix(tag, "station=") {
		t.Fatalf("measurement and tags %q", parts[0])
	}
	ns, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	d := decoded{station: strings.TrimPrefix(tag, "station="), time: time.Unix(0, ns), values: map[string]float64{}}
	for _, f := range strings.Split(parts[1], ",") {
		k, v, _ := strings.Cut(f, "=")
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			t.Fatalf("field %q: %v", f, err)
		}
		d.values[k] = x
	}
	return d
}

// parseTT10 reads records of 5 TAB-separated fields, one or several per line.
func parseTT10(t *testing.T, m *sim.Message, p []byte) decoded {
	t.Helper()
	style := TT10StyleOf(m.StationVariant)
	if bytes.HasPrefix(p, bom) != style.BOM {
		t.Errorf("BOM %v, style %+v", bytes.HasPrefix(p, bom), style)
	}
	text := strings.TrimPrefix(string(p), "\uFEFF")
	if strings.Contains(text, "\r\n") != style.CRLF {
		t.Errorf("CRLF mismatch, style %+v: %q", style, text)
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(text, "\r\n", "\n"), "\n"), "\n")
	if style.OneLine != (len(lines) == 1) && len(m.Readings) > 1 {
		t.Errorf("%d lines, style %+v", len(lines), style)
	}
	codes := map[string]string{}
	for _, r := range m.Readings {
		c, _ := TT10Code(r.Param)
		codes[c] = r.Param
	}
	d := decoded{values: map[string]float64{}, status: map[string]string{}}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f)%5 != 0 {
			t.Fatalf("line with %d fields: %q", len(f), l)
		}
		for i := 0; i < len(f); i += 5 {
			param := codes[f[i]]
			if _, unit := TT10Code(param); unit != f[i+2] {
				t.Errorf("%s unit %q, want %q", f[i], f[i+2], unit)
			}
			if strings.Contains(f[i+1], ",") != (style.Comma && strings.ContainsAny(f[i+1], ".,")) {
				t.Errorf("value %q with style %+v", f[i+1], style)
			}
			v, err := strconv.ParseFloat(strings.Replace(f[i+1], ",", ".", 1), 64)
			if err != nil {
				t.Fatal(err)
			}
			at, err := time.ParseInLocation(TT10TimeLayout, f[i+3], m.Station.TimeLocation())
			if err != nil {
				t.Fatal(err)
			}
			d.values[param], d.status[param], d.time = v, f[i+4], at
		}
	}
	return d
}

// Over many stations every style variant of the data files occurs.
func TestTT10StylesVary(t *testing.T) {
	seen := map[TT10Style]bool{}
	var oneLine, bomN, comma, crlf int
	for i := range 400 {
		s := TT10StyleOf(uint64(i) * 0x9e3779b97f4a7c15)
		seen[s] = true
		for cond, n := range map[bool]*int{s.OneLine: &oneLine, s.BOM: &bomN, s.Comma: &comma, s.CRLF: &crlf} {
			if cond {
				*n++
			}
		}
	}
	if oneLine == 0 || bomN == 0 || comma == 0 || crlf == 0 || oneLine == 400 || comma == 400 {
		t.Errorf("styles: one-line %d, BOM %d, comma %d, CRLF %d of 400", oneLine, bomN, comma, crlf)
	}
}

func TestJSONUnitObject(t *testing.T) {
	st, _ := sim.Stations(1, 1)
	msg := &sim.Message{Station: st[0], ID: st[0].ID, PayloadID: st[0].ID, Kind: quantrac.Air, Status: "00",
		Time:     time.Date(2026, 11, 28, 14, 5, 0, 0, ict),
		Readings: []sim.Reading{{Param: "pm25", Value: 38.2}, {Param: "so2", Value: 31.4, AltUnit: true}, {Param: "co", Value: 812, Status: "01"}}}
	got := string(JSON.Encode(nil, msg))
	want := `{"time":"2026-11-28T14:05:00+07:00","station":"SIM-AQ-0001","status":"00","readings":{"pm25":38.2,"so2":{"value":12,"unit":"ppb"},"co":{"value":812,"status":"01"}}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestBadPayloads(t *testing.T) {
	msgs := messages(t)
	for _, f := range Formats {
		for i, msg := range msgs[:6] {
			m := *msg
			m.Readings = append([]sim.Reading(nil), msg.Readings...)
			m.Bad = sim.BadMalformed
			p := f.Encode([]byte("prefix"), &m)
			if !bytes.HasPrefix(p, []byte("prefix")) {
				t.Fatalf("%s: encode did not append", f)
			}
			p = p[len("prefix"):]
			if err := decodable(f, p); err == nil {
				t.Errorf("%s malformed #%d decodes: %q", f, i, p)
			}
			m.Bad = sim.BadOversized
			p = f.Encode(nil, &m)
			if len(p) <= OversizeBytes {
				t.Errorf("%s oversized is %d bytes", f, len(p))
			}
			if err := decodable(f, p); err != nil {
				t.Errorf("%s oversized payload is not well formed: %v", f, err)
			}
			m.Bad = sim.BadNaN
			m.ApplyBad(time.Now(), "")
			if p := f.Encode(nil, &m); !bytes.Contains(p, []byte("NaN")) {
				t.Errorf("%s: NaN not written: %s", f, p)
			}
		}
	}
}

// decodable checks that p is well formed in format f, as a strict reader would.
func decodable(f Format, p []byte) error {
	switch f {
	case JSON, SenML:
		var v any
		return json.Unmarshal(p, &v)
	case Line:
		for _, l := range strings.Split(strings.TrimSuffix(string(p), "\n"), "\n") {
			parts := strings.Split(l, " ")
			if len(parts) != 3 {
				return fmt.Errorf("%d parts", len(parts))
			}
			for _, fv := range strings.Split(parts[1], ",") {
				_, v, _ := strings.Cut(fv, "=")
				if _, err := strconv.ParseFloat(v, 64); err != nil {
					return err
				}
			}
		}
		return nil
	default:
		text := strings.ReplaceAll(strings.TrimPrefix(string(p), "\uFEFF"), "\r\n", "\n")
		for _, l := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
			if n := len(strings.Split(l, "\t")); n%5 != 0 {
				return fmt.Errorf("record of %d fields", n)
			}
		}
		return nil
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range Formats {
		if g, err := ParseFormat(string(f)); err != nil || g != f {
			t.Errorf("ParseFormat(%q) = %q, %v", f, g, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil {
		t.Error("xml accepted")
	}
}

// Each stationsim format name is the name quantrac prints for the format it detects in that
// format's payloads (ingest/payload.Format.String), so one name means one format everywhere.
func TestFormatNamesMatchQuantrac(t *testing.T) {
	msgs := messages(t)
	for _, f := range Formats {
		got := qpayload.Detect(f.Append(nil, msgs[0]))
		if got.String() != string(f) {
			t.Errorf("stationsim -format %s: quantrac detects %s", f, got)
		}
		if parsed, err := qpayload.ParseFormat(string(f)); err != nil || parsed != got {
			t.Errorf("quantrac's ParseFormat(%q) = %v, %v; want %v", f, parsed, err, got)
		}
	}
}

func BenchmarkEncode(b *testing.B) {
	stations, _ := sim.Stations(3, 1)
	m := sim.Model{Seed: 1}
	var msg sim.Message
	m.Message(&msg, stations[0], time.Date(2026, 11, 28, 14, 5, 0, 0, ict))
	for _, f := range Formats {
		b.Run(string(f), func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf = f.Encode(buf[:0], &msg)
			}
		})
	}
}
