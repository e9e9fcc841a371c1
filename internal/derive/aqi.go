package derive

import (
	"math"
	"sync"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/rules/aqi"
)

// stationAQI is the AQI state of one station that asked for an index.
type stationAQI struct {
	mu      sync.Mutex
	schemes []aqi.Scheme
	tracker *aqi.Tracker
	loc     *time.Location
	cursor  // the newest reading seen
	latest  []exported
}

// exported is what the metrics show of the newest index of one scheme and period: a few
// bytes, where an aqi.Index with its sub-indices costs hundreds at each of 10,000 stations.
type exported struct {
	key
	value    int32
	category int8
	end      int64 // Unix ns
}

// setLatest makes idx the exported index of k; with newer, only when it is the newest of its
// period.
func (sa *stationAQI) setLatest(k key, idx *aqi.Index, newer bool) {
	e := exported{k, int32(idx.Value), int8(idx.Category.Index), idx.End.UnixNano()}
	for i := range sa.latest {
		if sa.latest[i].key == k {
			if !newer || e.end >= sa.latest[i].end {
				sa.latest[i] = e
			}
			return
		}
	}
	sa.latest = append(sa.latest, e)
}

// cursor follows the newest reading time of a stream of readings.
type cursor struct {
	lastHour time.Time // start of the newest local hour seen
	nextHour int64     // start of the local hour after it, Unix ns: earlier readings end no hour
	lastDay  time.Time // start of the newest local day seen
}

// advance moves the cursor to a reading taken at instant at and returns the ends of the hour and the
// day it completes: the local hour before at's, the first time at falls in a later hour, and
// the day before at's, the first time at falls in a later day. They are zero when it completes
// none (a reading stamped 14:00:00 is the last of the hour 13:00–14:00 and completes it).
func (c *cursor) advance(at time.Time, loc *time.Location) (hourEnd, dayEnd time.Time) {
	if at.UnixNano() < c.nextHour {
		return // within the newest hour seen, or earlier
	}
	l := at.In(loc)
	hour := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc)
	if !hour.After(c.lastHour) {
		return
	}
	c.lastHour = hour
	c.nextHour = time.Date(l.Year(), l.Month(), l.Day(), l.Hour()+1, 0, 0, 0, loc).UnixNano()
	if day := time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, loc); day.After(c.lastDay) {
		c.lastDay, dayEnd = day, day
	}
	return hour, dayEnd
}

// observe feeds a message's readings, in time order, to the tracker and appends the indices
// they complete or change:
//   - as the newest reading moves on, the hour and the day it completes, as a live station's
//     readings do one message at a time, so that a backlog in one message gets the index of
//     every hour and day it covers;
//   - for readings of hours already complete (late, or a backlog sent newest first), the
//     indices of those hours and days again, computed with them (revise);
//   - for readings older than the tracker holds, the indices the message alone gives (replay).
//
// An index written again lands on the same point, so the stored index follows the data.
func (sa *stationAQI) observe(station string, rs []quantrac.Reading, out []quantrac.Index) []quantrac.Index {
	late := int64(math.MinInt64) // readings up to the end of the newest hour completed are late
	if !sa.lastHour.IsZero() {
		late = sa.lastHour.UnixNano()
	}
	var replayed time.Time // the end of the last hour replay gave an index
	// A reading after the newest hour seen is held; an earlier one may be too old.
	if rs[0].Time.UnixNano() <= late && !sa.tracker.Holds(rs[0].Time.Add(-time.Nanosecond)) {
		out, replayed = sa.replay(station, rs, out)
	}
	var first, last time.Time // the late readings the tracker holds
	for i := range rs {
		r := &rs[i]
		ns := r.Time.UnixNano()
		if ns > late && !first.IsZero() { // rs is in time order: no more late readings
			out = sa.revise(station, first, last, replayed, out)
			first = time.Time{}
		}
		if r.Valid() {
			// Hours are labelled by their end, as the rules' (rules.HourEnd): a reading stamped
			// 01:00 is the last of the tracker's hour 00:00–01:00.
			at := r.Time.Add(-time.Nanosecond)
			sa.tracker.Observe(r.Param, at, r.Value)
			if ns <= late && aqi.Indexed(r.Param) && sa.tracker.Holds(at) {
				if first.IsZero() {
					first = r.Time
				}
				last = r.Time
			}
		}
		// Once every reading taken at r.Time is in, a time past the newest hour seen completes
		// an hour, perhaps a day.
		if ns >= sa.nextHour && (i+1 == len(rs) || !rs[i+1].Time.Equal(r.Time)) {
			hour, day := sa.advance(r.Time, sa.loc)
			out = sa.put(station, sa.tracker, PeriodHourly, hour, true, out)
			out = sa.put(station, sa.tracker, PeriodDaily, day, true, out)
		}
	}
	if !first.IsZero() {
		out = sa.revise(station, first, last, replayed, out)
	}
	return out
}

// revise appends again the indices of the complete hours and days that readings taken from
// first to last, which arrived after their hours were complete, change: their hours and the 11
// after (a NowCast weighs 12 hours, an 8 h mean 8), their days and the day after when its
// first 8 h means reach back to them. Hours ending by replayed were replayed; a day is left out
// when the tracker no longer holds all the hours its index uses (replay computes it when the
// message holds the whole day).
func (sa *stationAQI) revise(station string, first, last, replayed time.Time, out []quantrac.Index) []quantrac.Index {
	lo, hi := hourOf(first, sa.loc), hourOf(last, sa.loc)
	h := lo
	if replayed.After(h) {
		h = replayed
	}
	for ; h.Before(sa.lastHour) && !h.After(hi.Add(nowcastReach)); h = h.Add(time.Hour) {
		out = sa.put(station, sa.tracker, PeriodHourly, h.Add(time.Hour), true, out)
	}
	for d := dayOf(lo); d.Before(sa.lastDay) && !d.After(hi.Add(7*time.Hour)); d = d.AddDate(0, 0, 1) {
		if sa.tracker.Holds(d.Add(-7 * time.Hour)) {
			out = sa.put(station, sa.tracker, PeriodDaily, d.AddDate(0, 0, 1), true, out)
		}
	}
	return out
}

// nowcastReach is how far back from an hour its hourly index reaches: a NowCast weighs 12
// hours (the US SO2 index from 305 ppb on, whose 24 h mean reaches further, aside).
const nowcastReach = 11 * time.Hour

// replayHorizon bounds how far past the oldest hour the tracker holds replay reads a message:
// the days it computes start less than 7 hours after that hour and end within 32 hours.
const replayHorizon = 32 * time.Hour

// replay appends the indices of a message whose readings start before the oldest hour the
// tracker holds (a backlog sent after newer data, whose readings the tracker ignores): the
// message's readings go, in time order, to a tracker of their own, which gives the index of
// each hour the message reaches whose NowCast reaches back before the oldest hour held, and of
// each day whose hours the station's tracker does not all hold when the message covers it from
// its first hour to its last. NowCasts of the message's first hours see only the message. The
// exported indices are left as they are. It returns the end of the last hour it gave an index.
func (sa *stationAQI) replay(station string, rs []quantrac.Reading, out []quantrac.Index) ([]quantrac.Index, time.Time) {
	held := sa.tracker.Oldest()
	first, last := rs[0].Time, rs[len(rs)-1].Time
	tr := aqi.NewTracker(sa.loc)
	tr.MinPerHour = sa.tracker.MinPerHour
	var c cursor
	var replayed time.Time
	emit := func(hour, day time.Time) {
		if !hour.IsZero() && !hour.After(held.Add(nowcastReach)) {
			out = sa.put(station, tr, PeriodHourly, hour, false, out)
			replayed = hour
		}
		if ds := day.AddDate(0, 0, -1); !day.IsZero() && ds.Add(-7*time.Hour).Before(held) &&
			!first.After(ds.Add(time.Hour)) && last.After(day.Add(-time.Hour)) {
			out = sa.put(station, tr, PeriodDaily, day, false, out)
		}
	}
	fed := first
	for i := range rs {
		r := &rs[i]
		if r.Time.After(held.Add(replayHorizon)) {
			break
		}
		if r.Valid() {
			tr.Observe(r.Param, r.Time.Add(-time.Nanosecond), r.Value)
		}
		fed = r.Time
		if i+1 == len(rs) || !rs[i+1].Time.Equal(r.Time) {
			emit(c.advance(r.Time, sa.loc))
		}
	}
	// The station's newer readings complete the hour and the day of the last one replayed;
	// the hours after it are not the message's.
	end := hourOf(fed, sa.loc).Add(time.Hour)
	emit(c.advance(end, sa.loc))
	_, day := c.advance(dayOf(end.Add(-time.Nanosecond)).AddDate(0, 0, 1), sa.loc)
	emit(time.Time{}, day)
	return out, replayed
}

// put appends the index of each scheme, computed by tr, of the hour or the day (period) that
// ends at end; nothing when end is zero. current makes it the exported index when it is the
// newest of its period.
func (sa *stationAQI) put(station string, tr *aqi.Tracker, period string, end time.Time, current bool, out []quantrac.Index) []quantrac.Index {
	if end.IsZero() {
		return out
	}
	for _, s := range sa.schemes {
		var idx aqi.Index
		var ok bool
		if period == PeriodHourly {
			idx, ok = tr.Hourly(s, end)
		} else {
			idx, ok = tr.Daily(s, end)
		}
		if !ok {
			continue
		}
		if current {
			sa.setLatest(key{s, period}, &idx, true)
		}
		out = append(out, indexOf(station, s, period, &idx))
	}
	return out
}

// hourOf returns the start of the local hour a reading taken at instant at ends or falls in: hours are
// labelled by their end, so 14:00:00 is in the hour 13:00–14:00.
func hourOf(at time.Time, loc *time.Location) time.Time {
	l := at.Add(-time.Nanosecond).In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, loc)
}

// dayOf returns the start of the local day containing t.
func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, t.Location())
}
