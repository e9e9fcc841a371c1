package rules

import (
	"math"
	"math/bits"
)

// ringHours is how many clock hours a series keeps: a day (25 hours on a DST day) and the 7
// hours before it that the day's first running 8-h means need. Older hours are folded into the
// yearly sums and counts, and a reading for them no longer changes a verdict (a rebuild from
// InfluxDB does: RebuildStations).
const ringHours = 32

// hourRing holds the hourly aggregates of one series: hour id h is at index h mod ringHours
// while head−ringHours < h ≤ head. Each hour keeps the number and sum of its readings — a
// reading per distinct timestamp, as InfluxDB keeps a point per time, so that the hour's mean
// is mean() over its stored readings — and which of its reading slots are taken, for its data
// capture: slot k is the station-interval grid point k of the hour nearest to a reading
// (rules/README.md, "Evaluation"), so that extra readings or clock jitter never make a full
// hour look thin nor push it above 1. Below 1 h / 64 an interval has no slots: the capture is
// the readings × interval ÷ 1 h, capped at 1.
type hourRing struct {
	head  int64 // the newest hour held
	sum   [ringHours]float64
	cnt   *[ringHours]uint16     // readings; nil while each hour has one reading per slot taken
	small []uint16               // per hour: taken slots (up to 16 slots an hour)
	wide  []uint64               // per hour: taken slots (17 to 64 slots an hour)
	slots int                    // slots an hour (0: none)
	ext   *[ringHours][2]float64 // lowest and highest reading; nil unless a rule needs them
}

// newHourRing returns a ring for slotsPerHour reading slots an hour (0: no slots).
func newHourRing(slotsPerHour int) *hourRing {
	h := &hourRing{slots: slotsPerHour}
	switch {
	case slotsPerHour > 16:
		h.wide = make([]uint64, ringHours)
	case slotsPerHour > 0:
		h.small = make([]uint16, ringHours)
	default:
		h.cnt = new([ringHours]uint16)
	}
	return h
}

// series is what the engine keeps for one parameter of one station.
type series struct {
	param string

	last  float64 // the newest valid value by time
	lastT int64

	h     *hourRing // nil until the first reading, and when no rule needs hours (only sample limits)
	rules []ruleState
	// needHours and needExt say what the series' rules need: hours, and each hour's lowest and
	// highest reading. The ring is allocated with the first reading, so that the parameters a
	// regulation lists but the station does not measure cost a few bytes.
	needHours, needExt bool
	// The times of the readings of the hours not yet closed, so that a reading at the same time
	// as one of them is known as the same point, as in InfluxDB (closed hours keep only their
	// aggregates): grid holds those exactly on an interval grid point (the common case) as one
	// bit per point of an hour, open the others by time.
	grid  [2]gridHour
	open  []int64
	after *series // the series its station looked up after this one last time
}

// gridHour is the grid points of one open hour that hold a reading: bit k−1 for point k.
type gridHour struct {
	id   int64 // the hour; 0: free
	bits uint64
}

// seen reports whether a reading at time t, of hour id, is among the open hours' readings;
// k > 0 is its grid point when t is exactly on one.
func (s *series) seen(id int64, k int, t int64) bool {
	if k > 0 {
		for _, g := range s.grid {
			if g.id == id && g.bits&(1<<uint(k-1)) != 0 {
				return true
			}
		}
	}
	for i := len(s.open) - 1; i >= 0; i-- {
		if s.open[i] == t {
			return true
		}
	}
	return false
}

// remember records a reading at time t of hour id (on grid point k > 0, or off the grid).
func (s *series) remember(id int64, k int, t int64) {
	if k > 0 {
		for i := range s.grid {
			if s.grid[i].id == id {
				s.grid[i].bits |= 1 << uint(k-1)
				return
			}
		}
		for i := range s.grid {
			if s.grid[i].id == 0 {
				s.grid[i] = gridHour{id, 1 << uint(k-1)}
				return
			}
		}
	}
	s.open = append(s.open, t)
}

// forget drops the open readings of the hours up to closed, which end at or before t.
func (s *series) forget(closed, t int64) {
	for i := range s.grid {
		if s.grid[i].id <= closed {
			s.grid[i] = gridHour{}
		}
	}
	k := 0
	for _, p := range s.open {
		if p > t {
			s.open[k] = p
			k++
		}
	}
	clear(s.open[k:])
	s.open = s.open[:k]
	if len(s.open) == 0 && cap(s.open) > 64 {
		s.open = nil
	}
}

// unit is the canonical unit of the series' parameter.
func (s *series) unit() string { return canonicalUnit(s.param) }

// held reports whether hour id is in the ring.
func (h *hourRing) held(id int64) bool { return id <= h.head && id > h.head-ringHours }

// overlaps reports whether any hour from first to last is held.
func (h *hourRing) overlaps(first, last int64) bool {
	return h.head != 0 && first <= h.head && last > h.head-ringHours
}

// n returns the number of readings of hour id (0 when it is not held).
func (h *hourRing) n(id int64) int {
	if !h.held(id) {
		return 0
	}
	return h.count(id & (ringHours - 1))
}

// taken returns the number of slots of hour id that hold a reading (its readings when the
// ring has no slots).
func (h *hourRing) taken(id int64) int {
	if !h.held(id) {
		return 0
	}
	if h.slots == 0 {
		return h.count(id & (ringHours - 1))
	}
	return h.slotCount(id & (ringHours - 1))
}

// count returns the readings at ring index i.
func (h *hourRing) count(i int64) int {
	if h.cnt != nil {
		return int(h.cnt[i])
	}
	return h.slotCount(i)
}

// slotCount returns the slots taken at ring index i (0 without slots).
func (h *hourRing) slotCount(i int64) int {
	switch {
	case h.wide != nil:
		return bits.OnesCount64(h.wide[i])
	case h.small != nil:
		return bits.OnesCount16(h.small[i])
	}
	return 0
}

// mean returns the mean of hour id's readings, rounded to 12 significant digits so that the
// order in which readings were added does not show.
func (h *hourRing) mean(id int64) float64 {
	i := id & (ringHours - 1)
	return round12(h.sum[i] / float64(h.count(i)))
}

// extremes returns the lowest and highest reading of hour id.
func (h *hourRing) extremes(id int64) (lo, hi float64) {
	if h.ext == nil {
		m := h.mean(id)
		return m, m
	}
	e := h.ext[id&(ringHours-1)]
	return e[0], e[1]
}

// clearTo moves the head to id, emptying the hours that leave the ring for reuse.
func (h *hourRing) clearTo(id int64) {
	from := h.head + 1
	if id-h.head >= ringHours {
		from = id - ringHours + 1
	}
	for k := from; k <= id; k++ {
		i := k & (ringHours - 1)
		h.sum[i] = 0
		if h.cnt != nil {
			h.cnt[i] = 0
		}
		if h.wide != nil {
			h.wide[i] = 0
		} else if h.small != nil {
			h.small[i] = 0
		}
	}
	h.head = id
}

// add counts n readings of hour id with their sum and extremes, taking the slots in occ.
func (h *hourRing) add(id int64, occ uint64, n int, sum, lo, hi float64) {
	i := id & (ringHours - 1)
	before := h.count(i)
	first := before == 0
	switch {
	case h.wide != nil:
		h.wide[i] |= occ
	case h.small != nil:
		h.small[i] |= uint16(occ)
	}
	if h.cnt == nil && h.slotCount(i) != before+n { // more readings than slots: count them apart
		h.cnt = new([ringHours]uint16)
		for j := range int64(ringHours) {
			h.cnt[j] = uint16(h.slotCount(j))
		}
		h.cnt[i] = uint16(before)
	}
	if h.cnt != nil {
		h.cnt[i] = uint16(min(int(h.cnt[i])+n, math.MaxUint16))
	}
	h.sum[i] += sum
	if h.ext != nil {
		e := &h.ext[i]
		if first {
			e[0], e[1] = lo, hi
		} else {
			e[0], e[1] = math.Min(e[0], lo), math.Max(e[1], hi)
		}
	}
}

// lowBits returns a slot set of n slots, for aggregates whose slots are not known.
func lowBits(n int) uint64 {
	if n >= 64 {
		return math.MaxUint64
	}
	return 1<<uint(n) - 1
}

// round12 rounds to 12 significant digits: sums of the same readings added in another order
// differ in their last bits, which must not decide a verdict or show in evidence.
func round12(x float64) float64 {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return x
	}
	_, e2 := math.Frexp(x)
	k := 12 - int(math.Ceil(float64(e2)*0.30102999566398119521))
	switch {
	case k >= 0 && k <= 22:
		p := math.Pow10(k)
		return math.Round(x*p) / p
	case k < 0 && k >= -22:
		p := math.Pow10(-k)
		return math.Round(x/p) * p
	}
	return x
}
