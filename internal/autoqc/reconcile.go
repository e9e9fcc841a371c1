package autoqc

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/qc"
)

// User is the user and the revoker of automatic spans.
const User = "auto"

// Plan is what reconciling a station's stored automatic spans with the spans its readings
// give decides.
type Plan struct {
	// Write holds new spans, and stored spans grown or re-worded in place (same id and
	// created_at: the same InfluxDB point) because their run went on.
	Write []quantrac.QCSpan
	// Revoke holds stored spans the readings no longer give, or give shorter, with
	// RevokedBy and RevokedAt set.
	Revoke []quantrac.QCSpan
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Write) == 0 && len(p.Revoke) == 0 }

// spanKey is what identifies an automatic span: the same run or spike found again has it.
type spanKey struct {
	param string
	check qc.Check
	from  int64
}

// Reconcile compares the spans the checks found in a station's readings with the station's
// stored automatic spans, for the spans inScope says the readings show whole (others are left
// as they are):
//
//   - a span found and stored alike is left alone;
//   - a span found with the same start but a later end (its run went on) or another reason
//     is rewritten in place: the same id, the same point;
//   - a span found and not stored is written, with an id derived from station, parameter,
//     check and start (so that a second writer writes the same id);
//   - a stored active span not found, or found shorter (a late reading broke its run), is
//     revoked by "auto", and the shorter span written as a new one;
//   - a span that someone other than "auto" revoked is not written again: an inspector who
//     revoked an automatic span has said the readings are good.
//
// now is the revocation time and the creation time of new spans (each one nanosecond apart,
// and after every stored span's, so that each is its own InfluxDB point). Reconcile is a function of its arguments.
func Reconcile(station string, found []qc.Span, stored []quantrac.QCSpan,
	inScope func(param string, c qc.Check, from time.Time) bool, now time.Time) Plan {
	var plan Plan
	created := createdAfter(stored, now)
	active := map[spanKey]quantrac.QCSpan{}
	usedIDs := map[string]bool{}
	vetoed := map[spanKey]bool{}
	for _, s := range stored {
		usedIDs[s.ID] = true
		c, ok := CheckOf(s.ID)
		if !ok || s.Source != quantrac.QCSourceAuto || !inScope(s.Parameter, c, s.From) {
			continue
		}
		k := spanKey{s.Parameter, c, s.From.UnixNano()}
		switch {
		case !s.Active():
			vetoed[k] = vetoed[k] || s.RevokedBy != User
		case hasKey(active, k):
			// Two writers raced: keep the first, revoke the other.
			first, other := older(active[k], s)
			active[k] = first
			plan.Revoke = append(plan.Revoke, revoked(other, now))
		default:
			active[k] = s
		}
	}
	for _, f := range found {
		if !inScope(f.Parameter, f.Check, f.From) {
			continue
		}
		k := spanKey{f.Parameter, f.Check, f.From.UnixNano()}
		s, ok := active[k]
		delete(active, k)
		switch {
		case ok && s.To.Equal(f.To) && s.Reason == f.Reason:
		case ok && !f.To.Before(s.To):
			s.To, s.Reason = f.To, f.Reason
			plan.Write = append(plan.Write, s)
		case !ok && vetoed[k]:
		default:
			if ok {
				plan.Revoke = append(plan.Revoke, revoked(s, now))
			}
			id := newID(station, k, usedIDs)
			usedIDs[id] = true
			plan.Write = append(plan.Write, quantrac.QCSpan{ID: id, Station: station, Parameter: f.Parameter,
				Source: quantrac.QCSourceAuto, From: f.From, To: f.To, Action: quantrac.QCInvalidate,
				Reason: f.Reason, User: User, CreatedAt: created})
			created = created.Add(1)
		}
	}
	for _, s := range quantrac.QCSpans(mapValues(active)).Sorted() {
		plan.Revoke = append(plan.Revoke, revoked(s, now))
	}
	return plan
}

// createdAfter returns now, or just after the newest stored span when the clock is not past
// it (a coarse or stepped clock): a new span must not land on a stored span's point.
func createdAfter(stored []quantrac.QCSpan, now time.Time) time.Time {
	for _, s := range stored {
		if !s.CreatedAt.Before(now) {
			now = s.CreatedAt.Add(1)
		}
	}
	return now
}

func hasKey(m map[spanKey]quantrac.QCSpan, k spanKey) bool { _, ok := m[k]; return ok }

func mapValues(m map[spanKey]quantrac.QCSpan) []quantrac.QCSpan {
	out := make([]quantrac.QCSpan, 0, len(m))
	for _, s := range m {
		out = append(out, s)
	}
	return out
}

// older returns the span created first (by id on a tie), then the other.
func older(a, b quantrac.QCSpan) (first, other quantrac.QCSpan) {
	if b.CreatedAt.Before(a.CreatedAt) || (b.CreatedAt.Equal(a.CreatedAt) && b.ID < a.ID) {
		return b, a
	}
	return a, b
}

func revoked(s quantrac.QCSpan, now time.Time) quantrac.QCSpan {
	s.RevokedBy, s.RevokedAt = User, now
	return s
}

// idPrefix starts every automatic span's id; the check follows it.
const idPrefix = "auto-"

// newID returns the id of a new span: "auto-<check>-" and 16 hex digits of a hash of
// station, parameter, check and start, and of how many ids of that key are taken already
// (a span revoked and found again shorter, from the same start).
func newID(station string, k spanKey, used map[string]bool) string {
	for seq := uint64(0); ; seq++ {
		h := sha256.New()
		for _, s := range []string{station, k.param, string(k.check)} {
			h.Write([]byte(s))
			h.Write([]byte{0})
		}
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], uint64(k.from))
		binary.BigEndian.PutUint64(b[8:], seq)
		h.Write(b[:])
		id := idPrefix + string(k.check) + "-" + hex.EncodeToString(h.Sum(nil)[:8])
		if !used[id] {
			return id
		}
	}
}

// CheckOf returns the check an automatic span's id names.
func CheckOf(id string) (qc.Check, bool) {
	rest, ok := strings.CutPrefix(id, idPrefix)
	if !ok {
		return "", false
	}
	i := strings.LastIndexByte(rest, '-')
	if i < 0 {
		return "", false
	}
	for _, c := range qc.Checks() {
		if rest[:i] == string(c) {
			return c, true
		}
	}
	return "", false
}

// withElided adds n readings to the count a run span's reason ends with ("… (72
// readings)"): the readings of an anchored run that the window no longer holds.
func withElided(reason string, n int) string {
	if n == 0 || !strings.HasSuffix(reason, " readings)") {
		return reason
	}
	open := strings.LastIndexByte(reason, '(')
	if open < 0 {
		return reason
	}
	count, err := strconv.Atoi(reason[open+1 : len(reason)-len(" readings)")])
	if err != nil {
		return reason
	}
	return reason[:open+1] + strconv.Itoa(count+n) + " readings)"
}
