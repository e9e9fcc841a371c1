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

// InvalidBy names the newest active invalidate span covering a reading: who invalidated it.
func TestQCSpansInvalidBy(t *testing.T) {
	at := func(h int) time.Time { return time.Date(2026, 11, 1, h, 0, 0, 0, time.UTC) }
	auto := QCSpan{ID: "auto", Parameter: "no2", Source: QCSourceAuto, From: at(1), To: at(6), Action: QCInvalidate, CreatedAt: at(10)}
	user := QCSpan{ID: "user", Parameter: QCAllParameters, Source: QCSourceUser, From: at(4), To: at(8), Action: QCInvalidate, CreatedAt: at(11)}
	val := QCSpan{ID: "val", Parameter: "no2", Source: QCSourceUser, From: at(8), To: at(8), Action: QCValidate, CreatedAt: at(12)}
	ss := QCSpans{auto, user, val}
	for _, tc := range []struct {
		h    int
		want string
	}{{0, ""}, {2, "auto"}, {5, "user"}, {7, "user"}, {8, ""}} {
		got := ""
		if s := ss.InvalidBy("no2", at(tc.h)); s != nil {
			got = s.ID
		}
		if got != tc.want {
			t.Errorf("no2 at %02d:00: invalidated by %q, want %q", tc.h, got, tc.want)
		}
	}
}
