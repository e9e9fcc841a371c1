package daemon

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/ingest"
	"github.com/quantrac/quantrac/internal/testenv"
)

func TestSpooledTopic(t *testing.T) {
	const template = "stations/{station}/{kind}"
	tmpl, err := ingest.ParseTemplate(template)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ line, topic, station, err string }{
		{`air,station=LC-AQ-01,province=Lai\ Châu pm25=12.5 1795849500000000000`, "stations/LC-AQ-01/air", "LC-AQ-01", ""},
		{`wastewater,site=x,station=A\,B cod=1 1`, "stations/A,B/wastewater", "A,B", ""},
		{`air_flagged,station=LC-AQ-01 pm25=1,pm25_status="01" 1`, "", "LC-AQ-01", `measurement "air_flagged" is not a station kind`},
		{`aqi,station=LC-AQ-01,scheme=vn value=3 1`, "", "LC-AQ-01", `measurement "aqi" is not a station kind`},
		{`air pm25=1 1`, "", "", "no station tag"},
		{`air,station=a/b pm25=1 1`, "", "a/b", `station "a/b" makes no topic`},
		{`air,station=+ pm25=1 1`, "", "+", `station "+" makes no topic`},
	} {
		topic, station, err := spooledTopic(template, tmpl, []byte(tc.line))
		if topic != tc.topic || station != tc.station || (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
			t.Errorf("%s: %q, %q, %v; want %q, %q, %q", tc.line, topic, station, err, tc.topic, tc.station, tc.err)
		}
	}
}

// A spooled point InfluxDB refused (kept with topic "(spool)") is republished on its
// station's topic, where quantrac reads it again; one that makes no station message is not
// republished, and the report says so.
func TestReplaySpooledPointToItsStation(t *testing.T) {
	s := startStack(t, testStations, nil)
	ts := time.Now().Add(-time.Minute).UnixNano()
	good := fmt.Sprintf(`air,station=LC-AQ-01,province=Lai\ Châu pm25=12.5 %d`, ts)
	aqi := fmt.Sprintf(`aqi,station=LC-AQ-01,scheme=vn value=3 %d`, ts)
	var entries strings.Builder
	for i, p := range []string{good, aqi} {
		fmt.Fprintf(&entries, "rejected_messages,reason=write_rejected topic=\"(spool)\",payload=%q,error=\"type conflict\" %d\n",
			p, time.Now().Add(-time.Duration(i+1)*time.Second).UnixNano())
	}
	s.influx.Write("quantrac/autogen", entries.String())
	rep, err := Replay(context.Background(), s.d.cfg, ReplayFilter{Since: time.Hour}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Quarantined != 2 || rep.Republished != 1 || rep.NotRepublished != 1 || len(rep.Refused) != 1 || !strings.Contains(rep.Refused[0], `measurement "aqi" is not a station kind`) {
		t.Errorf("report %+v; want 2 quarantined, 1 republished, the aqi point refused", rep)
	}
	testenv.Eventually(t, 30*time.Second, func() (bool, string) {
		n := s.influx.Count("quantrac", `SELECT count(pm25) FROM air WHERE station = 'LC-AQ-01'`)
		return n == 1, fmt.Sprintf("%d pm25 points of LC-AQ-01 after the replay", n)
	})
}
