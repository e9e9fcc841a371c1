package autoqc

import (
	"strconv"
	"strings"
	"testing"
)

// The two strings the runner reads back from qc_spans — a span's id (for its check) and a
// run's reason (for its count) — never panic, and read what they wrote.
func FuzzParse(f *testing.F) {
	f.Add("auto-flatline-0123456789abcdef", "flat line: 250 for 5h0m0s (61 readings)", 3)
	f.Add("auto-pm_ratio-", "(readings)", 1)
	f.Add("u-1", " readings)", 0)
	f.Fuzz(func(t *testing.T, id, reason string, n int) {
		if c, ok := CheckOf(id); ok && !strings.HasPrefix(id, idPrefix+string(c)+"-") {
			t.Errorf("CheckOf(%q) = %s", id, c)
		}
		got := withElided(reason, n)
		open := strings.LastIndexByte(reason, '(')
		if got == reason {
			return
		}
		count, err := strconv.Atoi(reason[open+1 : len(reason)-len(" readings)")])
		if err != nil || got != reason[:open+1]+strconv.Itoa(count+n)+" readings)" {
			t.Errorf("withElided(%q, %d) = %q", reason, n, got)
		}
	})
}
