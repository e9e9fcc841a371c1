package ingest

import (
	"testing"

	"github.com/quantrac/quantrac"
)

type statusRecorder map[string]bool

func (s statusRecorder) Observe(_ []quantrac.Reading, lines []byte) ([]byte, int) { return lines, 0 }
func (s statusRecorder) SetStationStatus(station string, online bool)             { s[station] = online }

func TestStationStatusPayloads(t *testing.T) {
	st := &quantrac.Station{ID: "S1", Kind: quantrac.Air}
	for payload, want := range map[string]any{
		"offline": false, "online": true, " OFFLINE\n": false,
		`{"status": "offline"}`: false, `{"status":"online"}`: true, "garbage": nil, "": nil,
	} {
		rec := statusRecorder{}
		p := &Pipeline{opts: PipelineOptions{Observer: rec}}
		p.stationStatus(st, []byte(payload))
		got, ok := rec["S1"]
		if want == nil {
			if ok {
				t.Errorf("%q: status %v recorded for an unknown payload", payload, got)
			}
			continue
		}
		if !ok || got != want {
			t.Errorf("%q: got %v (recorded %v), want %v", payload, got, ok, want)
		}
	}
}
