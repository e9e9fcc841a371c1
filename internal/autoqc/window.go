package autoqc

import (
	"math"
	"slices"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/qc"
)

// none marks an unset time in a window (no reading waiting, nothing loaded yet).
const none = math.MaxInt64

// point is one valid reading of one parameter: Unix nanoseconds and the value.
type point struct {
	t int64
	v float64
}

// series is one parameter's recent readings, sorted by time, one per instant (a reading at
// an instant already held replaces it, as InfluxDB does).
type series struct {
	pts []point
	// anchored: pts[0] is the first reading of a run of equal values whose middle was
	// trimmed; elided readings of that run are not held.
	anchored bool
	elided   int
	// headKnown: the reading stored before pts[0] is known to hold another value (or there
	// is none), so a run starting at pts[0] starts there.
	headKnown bool
}

// window is one station's recent readings. Every reading stored at or after from is held
// (anchored runs aside), and every reading observed since the last check is at or after
// dirty.
type window struct {
	mu     sync.Mutex
	series map[string]*series
	from   int64 // none: nothing loaded from InfluxDB yet
	dirty  int64 // none: no reading waiting for a check
	newest int64
	// stored are the station's automatic spans in InfluxDB that end at or after storedFrom
	// (nil: not read yet).
	stored     []quantrac.QCSpan
	storedFrom int64
}

func newWindow() *window {
	return &window{series: map[string]*series{}, from: none, dirty: none, newest: math.MinInt64}
}

// add holds a reading; it reports whether the window was clean before (the station must be
// queued for a check).
func (w *window) add(param string, t time.Time, v float64) bool {
	ns := t.UnixNano()
	s := w.series[param]
	if s == nil {
		s = &series{}
		w.series[param] = s
	}
	s.put(point{ns, v}, true)
	w.newest = max(w.newest, ns)
	clean := w.dirty == none
	w.dirty = min(w.dirty, ns)
	return clean
}

// put inserts p in time order; a point at the same instant is replaced when replace is set.
func (s *series) put(p point, replace bool) {
	n := len(s.pts)
	if n == 0 || s.pts[n-1].t < p.t {
		s.pts = append(s.pts, p)
		return
	}
	i, found := slices.BinarySearchFunc(s.pts, p.t, func(q point, t int64) int { return cmpInt(q.t, t) })
	switch {
	case found && replace:
		s.pts[i] = p
	case !found:
		s.pts = slices.Insert(s.pts, i, p)
	}
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// takeDirty returns the oldest reading observed since the last check and marks the window
// clean.
func (w *window) takeDirty() int64 {
	d := w.dirty
	w.dirty = none
	return d
}

// needs reports whether readings stored from since on must be read from InfluxDB for the
// window to hold them all, and from where: an anchored run is read whole again, so that its
// elided readings are counted once.
func (w *window) needs(since int64) (int64, bool) {
	for _, s := range w.series {
		if s.anchored {
			since = min(since, s.pts[0].t)
		}
	}
	return since, since < w.from
}

// merge adds readings read from InfluxDB for [since, w.from): a reading held already (it
// arrived after it was stored, or is not stored yet) is kept as held. Anchored runs are whole
// again.
func (w *window) merge(since int64, loaded map[string][]point) {
	for param, pts := range loaded {
		s := w.series[param]
		if s == nil {
			s = &series{}
			w.series[param] = s
		}
		for _, p := range pts {
			if p.t >= since && p.t < w.from {
				s.put(p, false)
			}
		}
	}
	for _, s := range w.series {
		s.anchored, s.elided, s.headKnown = false, 0, false
	}
	w.from = since
}

// reach returns since, moved back to the start of any stored active run span (flat line,
// sentinel) that the window, once it holds every reading from since on, would see only in
// part: the whole run must be held to say whether it still is one.
func (w *window) reach(stored []quantrac.QCSpan, since int64) int64 {
	covered := min(since, w.from)
	out := since
	for i := range stored {
		s := &stored[i]
		c, _ := CheckOf(s.ID)
		if !s.Active() || !runCheck(c) {
			continue
		}
		lo := covered
		if sr := w.series[s.Parameter]; sr != nil && sr.anchored {
			lo = min(lo, sr.pts[0].t)
		}
		if from := s.From.UnixNano(); from < lo && s.To.UnixNano() >= lo {
			out = min(out, from)
		}
	}
	return out
}

// snapshot returns the held readings for the checker.
func (w *window) snapshot() map[string][]qc.Reading {
	out := make(map[string][]qc.Reading, len(w.series))
	for param, s := range w.series {
		rs := make([]qc.Reading, len(s.pts))
		for i, p := range s.pts {
			rs[i] = qc.Reading{Time: time.Unix(0, p.t), Value: p.v}
		}
		out[param] = rs
	}
	return out
}

// cut reports whether a run span starts at the first held reading of its parameter when the
// run may have begun before it: the readings before must be read.
func (w *window) cut(spans []qc.Span) bool {
	for i := range spans {
		sp := &spans[i]
		s := w.series[sp.Parameter]
		if runCheck(sp.Check) && s != nil && !s.headKnown && len(s.pts) > 0 && sp.From.UnixNano() == s.pts[0].t {
			return true
		}
	}
	return false
}

// settleHeads records that nothing older can be read: every run starts where the window
// holds its first reading.
func (w *window) settleHeads() {
	for _, s := range w.series {
		s.headKnown = true
	}
}

// runCheck reports whether a check's spans are runs of equal values, which a trimmed window
// keeps whole through its anchor.
func runCheck(c qc.Check) bool { return c == qc.Flatline || c == qc.Sentinel }

// trim drops readings older than horizon, but never a reading waiting for a check; of a run
// of equal values that crosses the horizon it keeps the first reading (the anchor) and
// counts the others.
func (w *window) trim(horizon int64) {
	horizon = min(horizon, w.dirty)
	if horizon <= w.from {
		return
	}
	for param, s := range w.series {
		if s.trim(horizon) {
			delete(w.series, param)
		}
	}
	w.from = horizon
	lo := w.low()
	w.stored = slices.DeleteFunc(w.stored, func(sp quantrac.QCSpan) bool { return sp.To.UnixNano() < lo })
	w.storedFrom = max(w.storedFrom, lo)
}

// low is the oldest instant the window says anything about: its first anchor, or from.
func (w *window) low() int64 {
	lo := w.from
	for _, s := range w.series {
		if s.anchored {
			lo = min(lo, s.pts[0].t)
		}
	}
	return lo
}

// trim drops the readings before horizon as window.trim says; it reports whether nothing is
// left.
func (s *series) trim(horizon int64) (empty bool) {
	i, _ := slices.BinarySearchFunc(s.pts, horizon, func(q point, t int64) int { return cmpInt(q.t, t) })
	if i == 0 {
		return false
	}
	if i == len(s.pts) {
		return true // the parameter stopped reporting
	}
	j := i // the first reading of the run that holds pts[i]
	for j > 0 && s.pts[j-1].v == s.pts[i].v {
		j--
	}
	switch {
	case j == i:
		s.pts = compact(slices.Delete(s.pts, 0, i))
		s.anchored, s.elided, s.headKnown = false, 0, true
	case j == 0 && s.anchored:
		s.elided += i - 1
		s.pts = compact(slices.Delete(s.pts, 1, i))
	default:
		s.elided = i - j - 1
		s.pts = compact(slices.Delete(slices.Delete(s.pts, 0, j), 1, i-j))
		s.anchored, s.headKnown = true, j > 0 || s.headKnown
	}
	return false
}

// compact returns pts in a smaller array when a burst left it mostly empty.
func compact(pts []point) []point {
	if cap(pts) > 2*len(pts)+16 {
		return slices.Clip(slices.Clone(pts))
	}
	return pts
}

// scope says which spans of the window a reconcile may decide on. A run span (flat line,
// sentinel) is seen whole from the parameter's first held reading; a spike or a PM2.5 above
// PM10 needs the readings around it, so those starting in the first two held readings after
// an anchor are left as they are (the readings before are not held).
func (w *window) scope() func(param string, c qc.Check, from time.Time) bool {
	runLo := make(map[string]int64, len(w.series))
	ctxLo := make(map[string]int64, len(w.series))
	for param, s := range w.series {
		runLo[param] = s.pts[0].t
		k := 2
		if s.anchored {
			k = 3
		}
		ctxLo[param] = none
		if k < len(s.pts) {
			ctxLo[param] = s.pts[k].t
		}
	}
	return func(param string, c qc.Check, from time.Time) bool {
		lo, ok := runLo[param]
		if !ok {
			return false
		}
		ns := from.UnixNano()
		switch c {
		case qc.Flatline, qc.Sentinel:
			return ns >= lo
		case qc.PMRatio:
			pm10, ok := ctxLo["pm10"]
			return ok && ns >= ctxLo[param] && ns >= pm10
		}
		return ns >= ctxLo[param]
	}
}

// elided returns how many readings of param's anchored run are not held, for a span that
// starts at its anchor.
func (w *window) elidedAt(param string, from time.Time) int {
	s := w.series[param]
	if s == nil || !s.anchored || s.pts[0].t != from.UnixNano() {
		return 0
	}
	return s.elided
}
