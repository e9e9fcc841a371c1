package rules

// yearDays is the number of daily buckets of a 1y window: 365 local days ending with the day
// of the newest reading.
const yearDays = 365

// dayBucket sums one local day's valid readings.
type dayBucket struct {
	day int64 // local day number; 0: empty
	sum float64
	n   int32
}

const dayBucketBytes = 24

// dayRing keeps a year of daily sums for the 1y rules of a series: a year of 5-minute
// readings in 365 buckets instead of 105,120 slots.
type dayRing struct {
	days []dayBucket
	head int64 // newest day number
	sum  float64
	n    int
}

func newDayRing() *dayRing { return &dayRing{days: make([]dayBucket, yearDays)} }

func (d *dayRing) bucket(day int64) *dayBucket { return &d.days[day%yearDays] }

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
	b := d.bucket(day)
	if b.day != day {
		*b = dayBucket{day: day}
	}
	if had {
		b.sum += v - old
		d.sum += v - old
		return true
	}
	b.sum += v
	b.n++
	d.sum += v
	d.n++
	return true
}

func (d *dayRing) advance(day int64) {
	if d.head == 0 || day-d.head >= yearDays {
		clear(d.days)
		d.sum, d.n, d.head = 0, 0, day
		return
	}
	for k := d.head + 1; k <= day; k++ {
		if b := d.bucket(k); b.day != 0 {
			d.sum -= b.sum
			d.n -= int(b.n)
			*b = dayBucket{}
		}
	}
	d.head = day
}
