package rules

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quantrac/quantrac"
)

// Aggregate is the count, sum and extremes of the valid readings of one parameter at one
// station in one bucket (End − width, End] of an AggregateQuery.
type Aggregate struct {
	Station, Param string
	End            time.Time
	Count          int
	Sum, Min, Max  float64 // Min and Max only when the query asks for Extremes
}

// AggregateQuery asks for the aggregates of the valid readings of the stations of one kind
// (one InfluxDB measurement), grouped by station and by buckets of Width that end at
// instants ≡ Phase (mod Width): GROUP BY time(Width, Phase + 1ns), station. Each station's
// aggregates come in time order.
type AggregateQuery struct {
	Kind     quantrac.Kind
	Stations []string      // nil: every station of the measurement
	Since    time.Time     // buckets ending after Since
	Until    time.Time     // and at or before Until (zero: no end)
	Width    time.Duration // 1h: clock hours
	Phase    time.Duration // 0, or 30 min for zones such as +05:30
	Extremes bool          // min and max too (a rule needs the hours' lowest and highest readings)
	// Fields are the parameters asked for, sorted (nil: every field). InfluxDB 1.8's cost is
	// per station × field × aggregate, so a rebuild asks only for the parameters whose limits
	// are built from hours.
	Fields []string
	// Raw says the stations report at most a few readings a bucket: reading their points and
	// grouping them in quantrac costs InfluxDB 1.8 about ten times less than its GROUP BY
	// time (BENCHMARKS.md, "Start with a year of data"). The aggregates are the same.
	Raw bool
}

// rawInterval is the shortest interval of stations whose aggregates are read as points: six
// readings an hour or fewer.
const rawInterval = 10 * time.Minute

// History is what the engine rebuilds its state from (the daemon implements it against
// InfluxDB, store.History).
type History interface {
	// Aggregates calls fn for each aggregate of q.
	Aggregates(ctx context.Context, q AggregateQuery, fn func(Aggregate) error) error
	// Latest calls fn with the valid readings of the newest stored point of each station of
	// kind (those of stations, nil: all) measured after since: the station's newest reading
	// time and the values of that instant.
	Latest(ctx context.Context, kind quantrac.Kind, stations []string, since time.Time, fn func(quantrac.Reading) error) error
	// LastTransitions calls fn with the newest stored transition of each station ×
	// parameter × regulation × period, for the given stations (nil: all), withdrawn ones
	// left out.
	LastTransitions(ctx context.Context, stations []string, fn func(Transition) error) error
	// Readings calls fn with the valid readings of one station stored after since, in time
	// order.
	Readings(ctx context.Context, kind quantrac.Kind, station string, since time.Time, fn func(quantrac.Reading) error) error
	// Record calls fn with the station's stored transitions that are not withdrawn: the
	// newest of each limit at or before at, and every one after at.
	Record(ctx context.Context, station string, at time.Time, fn func(Transition) error) error
	// Oldest returns the time of the oldest stored point of kind after since, of any station
	// (ok false: none), so that a rebuild does not ask for the empty weeks before it.
	Oldest(ctx context.Context, kind quantrac.Kind, since time.Time) (oldest time.Time, ok bool, err error)
}

// baseLookback is how far back every station's hours are read: the hour ring, and the 56
// hours the AQI trackers need (derive), which read the same aggregates.
const baseLookback = 56 * time.Hour

// Rebuild restores every station's state from h: hourly aggregates (one query per
// measurement; InfluxDB does the grouping), the newest stored point of each station (one more
// query per measurement: the station's clock, and the last values) and the alert state from
// the newest stored transition of each limit, so that a violation in progress
// before a restart is active again without a second "started" transition (Rebuild emits none;
// quantrac_violations_total counts only violations started after it). With a nil History the
// stations start empty. It may be called again after a failure; until one succeeds the
// stations are unknown: nothing is judged or exported for them and quantrac_rules_rebuilt
// is 0.
//
// The look-back per station is 56 hours (the hour ring, and what the AQI needs); for counted
// limits the calendar year (and the years a multi-year form averages); for 1y limits also the
// year before, whose verdict is the latest closed one. An hour read back takes the first of
// its reading slots (readings in order fill them so), so that a message a broker redelivers
// after a restart counts once in the common case: the newest hour's slots end at the newest
// reading, the older hours' start at the hour's start.
func (e *Engine) Rebuild(ctx context.Context, h History, now time.Time) error {
	return e.RebuildStations(ctx, h, now, nil)
}

// RebuildStations is Rebuild for the given stations only (nil: all), e.g. the stations of a
// partition a cluster member takes over, or those Pending lists. A station whose state was
// known (a backfill or a reload made it stale) keeps its alert state; an unknown one takes
// it from the stored transitions. Stations without rules or AQI need no history: rebuilding
// only them queries nothing.
func (e *Engine) RebuildStations(ctx context.Context, h History, now time.Time, ids []string) error {
	e.mu.RLock()
	var targets, stale []*stationState
	named := e.order
	if ids != nil {
		named = e.named(ids)
	}
	for _, s := range named {
		s.mu.Lock()
		if s.known && s.stale && h != nil {
			stale = append(stale, s) // re-judged from its stored readings
		} else {
			targets = append(targets, s)
		}
		s.mu.Unlock()
	}
	all := ids == nil
	e.mu.RUnlock()
	err := e.rebuild(ctx, h, now, targets, all)
	if all {
		e.mu.Lock()
		e.figures = nil // they served the first rebuild
		e.mu.Unlock()
	}
	for _, s := range stale {
		if err == nil {
			err = e.rejudge(ctx, h, s)
		}
	}
	e.mu.Lock()
	e.rebuilt = err == nil
	e.started = e.started || err == nil
	e.mu.Unlock()
	return err
}

// kept is the alert state of a known station's limit, carried across its rebuild.
type kept struct {
	alert  alertState
	active *Transition
	starts int32
}

func (e *Engine) rebuild(ctx context.Context, h History, now time.Time, targets []*stationState, all bool) error {
	byID := map[string]*stationState{}
	keep := map[*stationState]map[string]kept{}
	for _, s := range targets {
		s.mu.Lock()
		if s.known {
			keep[s] = s.alerts()
		}
		fresh := newStationState(s.st, e.cat)
		fresh.observed, fresh.settled = s.observed, s.settled
		if !s.known {
			e.takeFigures(fresh)
		}
		s.stationData = fresh.stationData
		s.mu.Unlock()
		byID[s.st.ID] = s
	}
	// Stations without rules need no history (nor queries: a cluster member taking over
	// such stations does not wait for InfluxDB), unless the AQI trackers read their hours
	// (derive).
	var read []*stationState
	ruled := false
	for _, s := range targets {
		if len(s.order) > 0 || len(s.st.AQI) > 0 {
			read = append(read, s)
		} else {
			delete(byID, s.st.ID)
		}
		ruled = ruled || len(s.order) > 0
	}
	if h != nil && len(read) > 0 {
		// all: no station filter in the queries (every station of the registry is rebuilt;
		// those that need nothing are not fed).
		if err := e.readHistory(ctx, h, now, read, all, byID); err != nil {
			return err
		}
	}
	if h != nil && ruled {
		var ids []string
		if !all {
			for _, s := range read {
				ids = append(ids, s.st.ID)
			}
		}
		err := h.LastTransitions(ctx, ids, func(tr Transition) error {
			if s := byID[tr.Station]; s != nil && keep[s] == nil {
				s.mu.Lock()
				s.restore(tr)
				s.mu.Unlock()
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rules: rebuilding alert states: %w", err)
		}
	}
	for _, s := range targets {
		s.mu.Lock()
		s.finish(keep[s])
		s.mu.Unlock()
	}
	return nil
}

// readHistory feeds the stations the hourly aggregates of h, with one query per measurement
// (and zone phase, for zones such as +05:30).
func (e *Engine) readHistory(ctx context.Context, h History, now time.Time, targets []*stationState, all bool, byID map[string]*stationState) error {
	type group struct {
		kind  quantrac.Kind
		phase time.Duration
		raw   bool
	}
	groups := map[group][]*stationState{}
	var order []group
	kinds := map[quantrac.Kind]int{} // groups per measurement
	for _, s := range targets {
		g := group{kind: s.st.Kind, phase: time.Duration((hourNs - s.cal.sub) % hourNs), raw: s.interval >= rawInterval}
		if groups[g] == nil {
			order = append(order, g)
			kinds[g.kind]++
		}
		groups[g] = append(groups[g], s)
	}
	feed := func(a Aggregate) error {
		if s := byID[a.Station]; s != nil && a.Count > 0 {
			s.mu.Lock()
			s.feed(&a)
			s.mu.Unlock()
		}
		return nil
	}
	for _, g := range order {
		sts := groups[g]
		q := AggregateQuery{Kind: g.kind, Stations: stationIDs(sts, all && kinds[g.kind] == 1), Since: now,
			Width: time.Hour, Phase: g.phase, Raw: g.raw}
		for _, s := range sts {
			q.Since = minTime(q.Since, s.lookback(now))
			q.Extremes = q.Extremes || s.extremes()
			for _, ser := range s.order {
				if ser.needHours && !slices.Contains(q.Fields, ser.param) {
					q.Fields = append(q.Fields, ser.param)
				}
			}
		}
		slices.Sort(q.Fields)
		if q.Fields == nil {
			q.Fields = []string{} // no parameter needs hours: none asked for
		}
		if err := e.readGroup(ctx, h, now, q, stationIDs(sts, false), byID, feed); err != nil {
			return err
		}
	}
	return nil
}

// silentLookback is how far back the rebuild looks for a station's newest reading: a station
// silent for longer has its latest closed periods judged from the hours of the look-back only.
const silentLookback = 7 * 24 * time.Hour

// readGroup feeds the stations of one query their hours and newest readings. The newest
// readings are read first: a station silent since before the look-back (its latest closed day
// began before it) gets a query of its own that reaches back to that day, so that the day's
// evidence is what its hours give, not what the look-back left of them.
func (e *Engine) readGroup(ctx context.Context, h History, now time.Time, q AggregateQuery, ids []string, byID map[string]*stationState, feed func(Aggregate) error) error {
	var latest []quantrac.Reading
	err := h.Latest(ctx, q.Kind, q.Stations, minTime(q.Since, now.Add(-silentLookback)), func(r quantrac.Reading) error {
		if byID[r.Station] != nil && r.Valid() {
			latest = append(latest, r)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rules: rebuilding %s newest readings: %w", q.Kind, err)
	}
	silent := map[string]bool{}
	sq := q
	sq.Stations = nil
	own := func(id string, need time.Time) { // the station gets the query of its own
		if need.Before(q.Since) && !silent[id] {
			silent[id] = true
			sq.Stations = append(sq.Stations, id)
		}
		if silent[id] {
			sq.Since = minTime(sq.Since, need)
		}
	}
	newest := map[string]int64{}
	for _, r := range latest {
		s := byID[r.Station]
		newest[r.Station] = max(newest[r.Station], r.Time.UnixNano())
		s.mu.Lock()
		need := s.closedDaySince(r.Time.UnixNano())
		s.mu.Unlock()
		own(r.Station, need)
	}
	for _, id := range ids {
		// InfluxDB behind the saved year figures: they are not what it holds; the years are read.
		s := byID[id]
		s.mu.Lock()
		behind := s.usesFigures() && newest[id] < s.figValid
		if behind {
			s.dropFigures(e.cat)
		}
		need := s.lookback(now)
		s.mu.Unlock()
		if behind {
			own(id, need)
		}
	}
	err = aggregatesByChunk(ctx, h, q, ids, now, func(a Aggregate) error {
		if silent[a.Station] {
			return nil // read by its own query, from its latest closed day on
		}
		return feed(a)
	})
	if err == nil && len(sq.Stations) > 0 {
		slices.Sort(sq.Stations)
		err = aggregatesByChunk(ctx, h, sq, sq.Stations, now, feed)
	}
	if err != nil {
		return fmt.Errorf("rules: rebuilding %s hours: %w", q.Kind, err)
	}
	for _, r := range latest {
		s := byID[r.Station]
		s.mu.Lock()
		s.feedLatest(&r)
		s.mu.Unlock()
	}
	return nil
}

// aggregateCells bounds the hours × stations × parameters one aggregate query of a rebuild
// asks for. InfluxDB 1.8 answered a week of hours of 6 parameters at 1,000 stations (10⁶
// cells) in 20–30 s on the benchmark machine (BENCHMARKS.md, "Start with a year of data"), at
// the 30 s query timeout, so a year in one query never answers; 2·10⁵ cells take a few seconds.
// Its cost is mostly per station × parameter and shard (a week by default), so a query covers
// whole weeks, and more stations are split into groups rather than a week into days.
const aggregateCells = 200_000

const week = 7 * 24 * time.Hour

// aggregatesByChunk runs q for the stations ids (q.Stations nil: all of them) in spans of whole
// weeks from q.Since, oldest first, so that each station's aggregates still come in time
// order: as many weeks as aggregateCells allows, or one week for groups of stations when one
// week of them all is more. The spans start at q.Since, an hour's end (a local midnight for
// the years that make a query long), so no hour is split.
func aggregatesByChunk(ctx context.Context, h History, q AggregateQuery, ids []string, now time.Time, fn func(Aggregate) error) error {
	fields := max(1, len(q.Fields))
	perWeek := int(week/time.Hour) * fields // cells of one station's week
	weeks, group := max(1, aggregateCells/(perWeek*max(1, len(ids)))), len(ids)
	if weeks == 1 {
		group = max(1, aggregateCells/perWeek)
	}
	span := time.Duration(weeks) * week
	first, ok, err := h.Oldest(ctx, q.Kind, q.Since)
	if err != nil || !ok {
		return err // nothing stored since q.Since
	}
	since := q.Since
	if weeks := int64(first.Sub(since) / week); weeks > 0 { // the empty weeks before the oldest point
		since = since.Add(time.Duration(weeks) * week)
	}
	for ; ; since = since.Add(span) {
		c := q
		c.Since = since
		if next := since.Add(span); next.Before(now) {
			c.Until = next
		}
		for i := 0; i < len(ids) || i == 0; i += group {
			if len(ids) > group {
				c.Stations = ids[i:min(i+group, len(ids))]
			}
			if err := h.Aggregates(ctx, c, fn); err != nil {
				return err
			}
		}
		if c.Until.IsZero() {
			return nil
		}
	}
}

// closedDaySince returns where the hours of the station's latest closed day begin when its
// newest reading is at newest (Unix ns), with the hours its running 8-h means read before it.
func (s *stationState) closedDaySince(newest int64) time.Time {
	d := s.cal.dayOf(s.cal.closedHour(newest)+1) - 1
	first, _, _ := s.cal.dayHours(d)
	return time.Unix(0, s.cal.end(first)-hourNs).Add(-rejudgeLead)
}

// extremes reports whether a rule of the station needs its hours' lowest and highest readings.
func (s *stationState) extremes() bool {
	for _, ser := range s.order {
		if ser.needExt {
			return true
		}
	}
	return false
}

// stationIDs lists the stations for a query, or nil (every station) when every is asked for.
func stationIDs(sts []*stationState, every bool) []string {
	if every {
		return nil
	}
	ids := make([]string, len(sts))
	for i, s := range sts {
		ids[i] = s.st.ID
	}
	return ids
}

// lookback returns how far back before now the station's rules need history.
func (s *stationState) lookback(now time.Time) time.Time {
	since := now.Add(-baseLookback)
	if s.usesFigures() { // the saved year figures stop there (figures.go)
		return minTime(since, time.Unix(0, s.figFrom-hourNs))
	}
	y := now.In(s.cal.loc).Year()
	for _, ser := range s.order {
		for i := range ser.rules {
			r := ser.rules[i].rule
			var back int
			switch {
			case r.kind == perYear:
				back = r.years // the year before is the latest closed one
			case r.design != nil:
				back = r.years // the years before the one in progress
			case r.counted:
				back = r.years - 1
			default:
				continue
			}
			since = minTime(since, time.Date(y-back, 1, 1, 0, 0, 0, 0, s.cal.loc))
		}
	}
	return since
}

// feed takes one stored hour as the readings it sums. The hour stays open until a later one
// closes it, or the end of the rebuild when it is complete (finish).
func (s *stationState) feed(a *Aggregate) {
	ser := s.lookup(a.Param)
	if ser == nil {
		ser = s.newSeries(a.Param)
	}
	t := a.End.UnixNano()
	if t >= ser.lastT {
		ser.last, ser.lastT = a.Sum/float64(a.Count), t
	}
	if t > s.clock && t-1 >= s.nextClose {
		s.advanceClock(t-1, nil)
	}
	if h := s.ring(ser); h != nil {
		id := s.cal.hourOf(t)
		if id > h.head {
			s.advanceRing(ser, id)
		}
		if h.held(id) {
			// InfluxQL gives the readings, not the slots they took: they are taken to fill the
			// first slots (readings at the interval do), rules/README.md "Restart".
			lo, hi := a.Min, a.Max
			if h.ext == nil || lo > hi {
				lo, hi = a.Sum/float64(a.Count), a.Sum/float64(a.Count)
			}
			h.add(id, lowBits(min(a.Count, h.slots)), a.Count, a.Sum, lo, hi)
			if h.slots > 0 && a.Count > h.slots {
				// More readings than slots: which slots they took only the readings tell. The
				// station is re-judged from them once rebuilt (finish keeps it stale).
				s.markStale(t - hourNs)
			}
		}
	}
	if t-1 > s.clock {
		if t-1 >= s.nextClose {
			s.advanceClock(t-1, nil)
		} else {
			s.clock = t - 1
		}
	}
}

// feedLatest takes a reading of the station's newest stored point: its time is the station's
// clock, and its value the parameter's last one (and the latest sample compared). Readings
// at or before it were read back as aggregates: one that comes again re-judges its periods
// from storage (storedTo), so that a point is counted once.
func (s *stationState) feedLatest(r *quantrac.Reading) {
	ser := s.lookup(r.Param)
	if ser == nil {
		ser = s.newSeries(r.Param)
	}
	t := r.Time.UnixNano()
	ser.last, ser.lastT = r.Value, t
	s.newest = max(s.newest, t)
	for i := range ser.rules {
		if x := ser.rules[i].x; x != nil && ser.rules[i].rule.kind == perSample {
			x.sampleT, x.sampleV = t, r.Value
		}
	}
}

// alerts returns the alert state of the station's limits by parameter, regulation and period.
func (s *stationState) alerts() map[string]kept {
	m := map[string]kept{}
	for _, ser := range s.order {
		for i := range ser.rules {
			r := &ser.rules[i]
			m[ser.param+" "+r.rule.reg.ID+" "+r.rule.period] = kept{r.alert, r.active(), r.starts}
		}
	}
	return m
}

// restore takes a stored transition as the alert state of its limit: a "started" one is a
// violation in progress, with its recorded evidence.
func (s *stationState) restore(tr Transition) {
	ser := s.find(tr.Parameter)
	if ser == nil || tr.State != Started {
		return
	}
	for i := range ser.rules {
		if r := &ser.rules[i]; r.rule.reg.ID == tr.Regulation && r.rule.period == tr.Period {
			r.alert = violating
			r.setActive(&tr)
		}
	}
}

// finish ends a rebuild: the station's clock moves to its newest stored reading (closing the
// periods that end there), and every limit's latest closed period is judged. A station that was known (k is not nil: a backfill, a reload) gets its alert
// states back and steps them with the rebuilt verdicts; the transitions that causes are
// emitted with its next readings (Observe), since a rebuild returns none.
func (s *stationState) finish(k map[string]kept) {
	if s.newest > s.clock {
		s.advanceClock(s.newest, nil)
	}
	s.storedTo, s.valid = s.newest, max(s.valid, s.newest)
	for _, ser := range s.order {
		for i := range ser.rules {
			r := &ser.rules[i]
			if a, ok := k[ser.param+" "+r.rule.reg.ID+" "+r.rule.period]; ok {
				r.alert, r.starts = a.alert, a.starts
				r.setActive(a.active)
			}
			v := s.latest(ser, r)
			// The periods closed while the hours were fed were judged then, with all their hours
			// (a day's morning may have left the ring since): their evidence stays as judged.
			if ser.lastT > 0 && (r.lastState == vUnset || r.rule.kind == perSample) {
				r.setLast(&v)
			}
			if k != nil && v.count > 0 {
				s.queued = s.step(ser, r, &v, s.queued)
			}
		}
	}
	stale, since := s.stale, s.staleSince
	s.known, s.stale, s.staleSince = true, false, 0
	s.figFrom, s.figValid = 0, 0
	if stale && since >= s.cal.end(s.cal.closedHour(s.clock))-ringHours*hourNs {
		s.markStale(since) // an hour of the periods still open read back ambiguously (feed)
	}
	if h := s.cal.hourOf(s.storedTo); s.storedTo != 0 && h > s.cal.closedHour(s.clock) {
		// The newest hour read back is still open: which slots its readings took only the
		// readings tell, and it closes with them. Re-judged once from them.
		s.markStale(s.cal.end(h) - hourNs + 1)
	}
	s.stamp++
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
