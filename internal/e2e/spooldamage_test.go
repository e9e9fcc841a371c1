package e2e

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

// TestFaultSpoolDamage (docs/decisions/0002-spool-format.md): quantrac spools a stream while
// InfluxDB is down and is stopped; 32 bytes are flipped in the middle of a spool segment — the
// newest (only) one, or the oldest of several — and quantrac is restarted with InfluxDB back.
// At most the readings of the damaged frames may be lost: the loss is counted, logged at ERROR,
// and the segment kept as *.corrupt.
func TestFaultSpoolDamage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxBytes string // spool.max_bytes: a segment is a quarter of it
		count    int    // messages per station
		older    bool   // damage the oldest of several segments, not the only one
	}{
		{"newest segment", "64MiB", 1300, false},
		{"older segment", "1MiB", 3000, true}, // ~430 KB spooled: two 256 KiB segments
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServices(t, testenv.MosquittoOptions{Persistence: true, MaxInflight: 1000, MaxQueued: 1000000})
			q := startQuantrac(t, s.writeConfig(t, faultStations, "spool: {dir: spool, max_bytes: "+tc.maxBytes+"}\n"))
			s.influx.Kill()
			// Paced like a live outage, so that each spool record is a batch of a fraction of
			// a second and a frame holds a few hundred readings, not the whole stream.
			want := startStream(t, s, tc.count, 400).wait(t)
			testenv.Eventually(t, 2*time.Minute, func() (bool, string) {
				durable := q.metric("quantrac_readings_durable_total")
				return durable == want, fmt.Sprintf("%v of %v readings durable (spooled)", durable, want)
			})
			q.signal(syscall.SIGTERM)

			spoolDir := filepath.Join(s.dir, "spool")
			segs, err := filepath.Glob(filepath.Join(spoolDir, "*.seg"))
			for _, seg := range segs {
				if fi, err := os.Stat(seg); err == nil {
					t.Logf("segment %s: %d bytes", filepath.Base(seg), fi.Size())
				}
			}
			if err != nil || len(segs) == 0 || tc.older != (len(segs) > 1) {
				t.Fatalf("spool segments %v (%v): want %s", segs, err, map[bool]string{false: "one", true: "several"}[tc.older])
			}
			seg := segs[0] // the oldest (names sort by first sequence number)
			lost := flipMiddle(t, seg)
			t.Logf("%d segments; %d readings spooled; flipped 32 bytes in %s: its damaged frames hold %d readings",
				len(segs), int(want), filepath.Base(seg), lost)

			s.influx.Start()
			q.start()
			testenv.Eventually(t, 2*time.Minute, func() (bool, string) {
				v := q.metric("quantrac_spool_bytes")
				return v == 0, fmt.Sprintf("spool bytes %v", v)
			})
			time.Sleep(time.Second) // let the last replayed write land
			got := float64(countPoints(t, s.influx))
			t.Logf("InfluxDB holds %v of %v readings", got, want)
			if got < want-float64(lost) || got > want {
				t.Errorf("InfluxDB holds %v readings; want between %v (all but the damaged frames' %d) and %v",
					got, want-float64(lost), lost, want)
			}
			if v := q.metric("quantrac_spool_corrupt_total"); v < 1 {
				t.Errorf("quantrac_spool_corrupt_total = %v after the damage, want >= 1", v)
			}
			if _, err := os.Stat(seg + ".corrupt"); err != nil {
				t.Errorf("damaged segment not kept: %v", err)
			}
			logs, _ := os.ReadFile(q.logPath)
			if !bytes.Contains(logs, []byte("level=ERROR")) || !bytes.Contains(logs, []byte(filepath.Base(seg))) {
				t.Errorf("the damage to %s is not logged at ERROR:\n%s", filepath.Base(seg), tail(q.logPath, 30))
			}
		})
	}
}

// flipMiddle inverts 32 bytes in the middle of the spool segment at path and returns how many
// readings (field values, status fields aside) the frames it touched hold. It reads the frame
// layout of store/spool: a 24-byte header whose bytes 4..8 are the data length, then the data.
func flipMiddle(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	from, to := len(b)/2-16, len(b)/2+16
	readings := 0
	for off := 0; off < len(b); {
		if off+24 > len(b) {
			t.Fatalf("%s: partial frame header at %d before any damage", path, off)
		}
		end := off + 24 + int(binary.LittleEndian.Uint32(b[off+4:]))
		if off < to && from < end {
			readings += countFields(b[off+24 : end])
		}
		off = end
	}
	for i := from; i < to; i++ {
		b[i] ^= 0xff
	}
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
	return readings
}

// countFields counts the field values of the reading measurements in line protocol, as
// countPoints does in InfluxDB (status fields aside).
func countFields(lines []byte) int {
	n := 0
	for _, line := range strings.Split(string(lines), "\n") {
		parts := strings.Split(line, " ")
		if len(parts) < 2 || !isReadingMeasurement(strings.SplitN(parts[0], ",", 2)[0]) {
			continue
		}
		for _, f := range strings.Split(parts[1], ",") {
			if name, _, _ := strings.Cut(f, "="); !strings.HasSuffix(name, "_status") {
				n++
			}
		}
	}
	return n
}

func isReadingMeasurement(m string) bool {
	switch m {
	case "air", "wastewater", "air_flagged", "wastewater_flagged":
		return true
	}
	return false
}
