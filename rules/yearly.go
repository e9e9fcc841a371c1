package rules

// yearDays is the number of daily buckets of a 1y window: 365 local days ending with the day
// of the newest reading.
const yearDays = 365

// dayBucketBytes is the memory of one day's bucket: its sum and its reading count.
const dayBucketBytes = 8 + 4

// dayRing keeps a year of daily sums for the 1y rules of a series: a year of 5-minute
// readings in 365 buckets instead of 105,120 slots. Bucket day%365 holds local day `day` for
// the days of the window (head-365, head]; advance clears the buckets of the days it skips,
// so a bucket never holds a day that left the window and needs no day number of its own.
type dayRing struct {
	sums   []float64
	counts []int32
	head   int64 // newest day number; 0 before the first reading
	sum    float64
	n      int
}

func newDayRing() *dayRing {
	return &dayRing{sums: make([]float64, yearDays), counts: make([]int32, yearDays)}
}

// add counts reading v of the slot at time ts (Unix ns; the slot belongs to the day holding
// the instant before it); when had is set it replaces old, the slot's previous reading.
func (d *dayRing) add(ts int64, v, old float64, had bool, cal *calendar) bool {
	_, _, _, _, day := cal.day(ts - 1)
	if day > d.head {
		d.advance(day)
	}
	if day <= d.head-yearDays {
		return false
	}
	i := dayIndex(day)
	if had {
		d.sums[i] += v - old
		d.sum += v - old
		return true
	}
	d.sums[i] += v
	d.counts[i]++
	d.sum += v
	d.n++
	return true
}

func (d *dayRing) advance(day int64) {
	if d.head == 0 || day-d.head >= yearDays {
		clear(d.sums)
		clear(d.counts)
		d.sum, d.n, d.head = 0, 0, day
		return
	}
	for k := d.head + 1; k <= day; k++ {
		i := dayIndex(k)
		d.sum -= d.sums[i]
		d.n -= int(d.counts[i])
		d.sums[i], d.counts[i] = 0, 0
	}
	d.head = day
}

// exactSum re-adds the window's days in day order (see ruleState.exactSum).
func (d *dayRing) exactSum() float64 {
	var sum float64
	for k := d.head - yearDays + 1; k <= d.head; k++ {
		sum += d.sums[dayIndex(k)]
	}
	return sum
}

func (d *dayRing) bytes() int { return yearDays * dayBucketBytes }

// dayIndex is the bucket of day k (days before 1970 are negative).
func dayIndex(k int64) int64 {
	i := k % yearDays
	if i < 0 {
		i += yearDays
	}
	return i
}
