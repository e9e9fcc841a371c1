package quantrac

import (
	"testing"
	"time"
)

func TestQCSpansInvalid(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC) }
	inv := QCSpan{ID: "a", Parameter: "no2", From: at(1), To: at(5), Action: QCInvalidate, CreatedAt: at(10)}
	all := QCSpan{ID: "b", Parameter: QCAllParameters, From: at(6), To: at(7), Action: QCInvalidate, CreatedAt: at(10)}
	val := QCSpan{ID: "c", Parameter: "no2", From: at(3), To: at(3), Action: QCValidate, CreatedAt: at(11)}
	oldVal := QCSpan{ID: "d", Parameter: "no2", From: at(4), To: at(4), Action: QCValidate, CreatedAt: at(9)}
	revoked := QCSpan{ID: "e", Parameter: "no2", From: at(8), To: at(9), Action: QCInvalidate, CreatedAt: at(10), RevokedBy: "ann", RevokedAt: at(12)}
	ss := QCSpans{inv, all, val, oldVal, revoked}
	for _, tc := range []struct {
		param string
		h     int
		want  bool
	}{
		{"no2", 0, false}, {"no2", 1, true}, {"no2", 2, true}, {"no2", 3, false}, // validated after
		{"no2", 4, true}, // a validate span older than the invalidation does not undo it
		{"no2", 5, true}, {"pm25", 2, false}, {"pm25", 6, true}, {"no2", 7, true},
		{"no2", 8, false}, // revoked
	} {
		if got := ss.Invalid(tc.param, at(tc.h)); got != tc.want {
			t.Errorf("%s at %02d:00: invalid %v, want %v", tc.param, tc.h, got, tc.want)
		}
	}
}
