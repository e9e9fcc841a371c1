package spool

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestMetrics(t *testing.T) {
	clk := newClock()
	reg := prometheus.NewRegistry()
	dir := t.TempDir()
	s := mustOpen(t, Options{Dir: dir, Now: clk.Now, Registerer: reg, SegmentBytes: 100})
	frames := int64(0)
	for i := range 3 {
		appendN(t, s, i, 1)
		frames += frameSize(len(rec(i)))
		clk.Add(30 * time.Second)
	}
	// Records appended at 0 s, 30 s, 60 s; now is 90 s.
	check := func(bytes int64, age string, records int, corrupt int) {
		t.Helper()
		want := `
# HELP quantrac_spool_accepting 1 while the spool can take data; 0 when it is 90% full, or its last write to disk failed (disk full, I/O error) and none has succeeded since (a full disk: until it has room for a segment again).
# TYPE quantrac_spool_accepting gauge
quantrac_spool_accepting 1
# HELP quantrac_spool_bytes Bytes of segment files waiting on local disk for InfluxDB.
# TYPE quantrac_spool_bytes gauge
quantrac_spool_bytes ` + itoa(bytes) + `
# HELP quantrac_spool_corrupt_total Corrupt regions detected in the spool: torn tails truncated, damaged frames skipped, invalid checkpoints.
# TYPE quantrac_spool_corrupt_total counter
quantrac_spool_corrupt_total ` + itoa(int64(corrupt)) + `
# HELP quantrac_spool_oldest_age_seconds Age of the oldest record not yet written to InfluxDB; 0 when the spool is empty.
# TYPE quantrac_spool_oldest_age_seconds gauge
quantrac_spool_oldest_age_seconds ` + age + `
# HELP quantrac_spool_records Records (batches of line protocol) waiting in the spool.
# TYPE quantrac_spool_records gauge
quantrac_spool_records ` + itoa(int64(records)) + `
# HELP quantrac_spool_records_lost_total Spool records lost to damage: skipped damaged frames and missing segment files (damage that runs to the end of the newest segment counts as one record, the least it holds). A torn tail, which holds nothing acknowledged, is not counted.
# TYPE quantrac_spool_records_lost_total counter
quantrac_spool_records_lost_total 0
`
		if err := testutil.GatherAndCompare(reg, strings.NewReader(want)); err != nil {
			t.Error(err)
		}
	}
	check(frames, "90", 3, 0)
	r := next(t, s)
	if err := s.Confirm(r.Seq); err != nil {
		t.Fatal(err)
	}
	frames -= frameSize(len(rec(0))) // one record per segment: its segment is freed
	check(frames, "60", 2, 0)
	drain(t, s)
	check(0, "0", 0, 0)
	clk.Add(time.Minute)
	appendN(t, s, 3, 1)
	clk.Add(5 * time.Second)
	check(frameSize(len(rec(3))), "5", 1, 0)

	// Reopen on the same registry after Close (Close unregisters), with a torn tail.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	seg := filepath.Join(dir, segFiles(t, dir, segExt)[0])
	write(t, seg, append(readFile(t, seg), 1, 2, 3))
	s = mustOpen(t, Options{Dir: dir, Now: clk.Now, Registerer: reg})
	check(frameSize(len(rec(3))), "5", 1, 1)
	if s.Len() != 1 {
		t.Errorf("reopened spool holds %d records, want 1", s.Len())
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
