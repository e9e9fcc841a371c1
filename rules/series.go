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
// while head−ringHours < h ≤ head. Each hour keeps the sum of its readings and which of its
// reading slots (one per station interval, for intervals of at least 1 h / 64) are taken, so
// that a reading delivered twice counts once; the number of slots taken is its reading count.
// Below 1 h / 64 it keeps a count instead, without duplicate detection.
type hourRing struct {
	head  int64 // the newest hour held
	sum   [ringHours]float64
	small []uint16               // per hour: taken slots (up to 16 slots an hour), or the count (slots false)
	wide  []uint64               // per hour: taken slots (17 to 64 slots an hour)
	slots bool                   // slots are tracked
	ext   *[ringHours][2]float64 // lowest and highest reading; nil unless a rule needs them
}

// newHourRing returns a ring for slotsPerHour reading slots an hour (0: no slots).
func newHourRing(slotsPerHour int) *hourRing {
	h := &hourRing{slots: slotsPerHour > 0}
	if slotsPerHour > 16 {
		h.wide = make([]uint64, ringHours)
	} else {
		h.small = make([]uint16, ringHours)
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
	dirty              bool    // a late reading changed a closed hour: re-evaluate at the end of the batch
	after              *series // the series its station looked up after this one last time
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

// count returns the readings at ring index i.
func (h *hourRing) count(i int64) int {
	switch {
	case h.wide != nil:
		return bits.OnesCount64(h.wide[i])
	case h.slots:
		return bits.OnesCount16(h.small[i])
	}
	return int(h.small[i])
}

// taken returns the slots taken at ring index i (0 without slots).
func (h *hourRing) taken(i int64) uint64 {
	switch {
	case h.wide != nil:
		return h.wide[i]
	case h.slots:
		return uint64(h.small[i])
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
	if id-h.head >= ringHours {
		clear(h.sum[:])
		clear(h.small)
		clear(h.wide)
	} else {
		for k := h.head + 1; k <= id; k++ {
			i := k & (ringHours - 1)
			h.sum[i] = 0
			if h.wide != nil {
				h.wide[i] = 0
			} else {
				h.small[i] = 0
			}
		}
	}
	h.head = id
}

// add counts readings of hour id with their sum and extremes: with slots, the readings of the
// slots in occ (a reading whose slot is taken was delivered twice and is skipped), else n of
// them. It reports whether the hour changed.
func (h *hourRing) add(id int64, occ uint64, n int, sum, lo, hi float64) bool {
	i := id & (ringHours - 1)
	if h.slots && h.taken(i)&occ == occ {
		return false // delivered twice
	}
	first := h.count(i) == 0
	switch {
	case h.wide != nil:
		h.wide[i] |= occ
	case h.slots:
		h.small[i] |= uint16(occ)
	default:
		h.small[i] = uint16(min(int(h.small[i])+n, math.MaxUint16))
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
	return true
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
