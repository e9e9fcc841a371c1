package logthrottle

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// The first record of a key is logged, the next ones within the interval are counted, and the
// next one logged says how many were left out; keys are throttled apart.
func TestThrottle(t *testing.T) {
	var buf bytes.Buffer
	th := New(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: dropTime})), time.Minute)
	t0 := time.Date(2026, 12, 8, 0, 0, 0, 0, time.UTC)
	th.Log(t0, slog.LevelWarn, "a", "first")
	for i := range 3 {
		th.Log(t0.Add(time.Duration(i+1)*time.Second), slog.LevelWarn, "a", "dropped")
	}
	th.Log(t0.Add(2*time.Second), slog.LevelError, "b", "other key")
	th.Log(t0.Add(time.Minute), slog.LevelWarn, "a", "again", "k", 1)
	want := `level=WARN msg=first suppressed_since_last=0
level=ERROR msg="other key" suppressed_since_last=0
level=WARN msg=again k=1 suppressed_since_last=3
`
	if got := buf.String(); got != want {
		t.Errorf("log:\n%s\nwant\n%s", got, want)
	}
	if strings.Contains(buf.String(), "dropped") {
		t.Error("a record within the interval was logged")
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}
