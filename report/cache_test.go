package report

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
)

// fakeBuild is a fake of Builder.Build (no InfluxDB: the cache's own logic is under test) that
// counts its builds and marks the reports of months not over at now as provisional.
type fakeBuild struct{ n atomic.Int32 }

func (f *fakeBuild) build(_ context.Context, m Month, station string, now time.Time) (*Report, error) {
	f.n.Add(1)
	_, end := m.Bounds(time.UTC)
	return &Report{Month: m.String(), Provisional: now.Before(end), Stations: []Station{{ID: station}}}, nil
}

func line(t time.Time) []byte { return fmt.Appendf(nil, "air,station=A pm25=1 %d\n", t.UnixNano()) }

// A report of a closed month is built once and kept until a point dated in the month (or
// before it: an exceedance in force at its start) is written, or the registry changes; points
// of later days leave it kept.
func TestCacheKeepsClosedMonth(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	nov := Month{2026, time.November}
	var f fakeBuild
	reg := &quantrac.Registry{}
	var current atomic.Pointer[quantrac.Registry]
	current.Store(reg)
	ch := NewChanges()
	c := NewCache(f.build, current.Load, ch)
	get := func(want int32, why string) {
		t.Helper()
		if _, err := c.Report(context.Background(), nov, "", now); err != nil {
			t.Fatal(err)
		}
		if got := f.n.Load(); got != want {
			t.Errorf("%s: %d builds, want %d", why, got, want)
		}
	}
	get(1, "first request")
	get(1, "second request")
	ch.Wrote(line(now), now)
	ch.Wrote(line(time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)), now)
	ch.Wrote([]byte("rejected_messages,reason=malformed payload=\"x y\"\n"), now) // no time: now's
	get(1, "after points of December")
	ch.Wrote(line(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)), now)
	get(2, "after a point of 20 November")
	get(2, "again")
	ch.Wrote(line(time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)), now) // 30 November in UTC-10
	get(3, "after a point of 1 December UTC")
	ch.Wrote(line(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)), now)
	get(4, "after a point before the month")
	current.Store(&quantrac.Registry{})
	get(5, "after a registry reload")
	if _, err := c.Report(context.Background(), nov, "B", now); err != nil || f.n.Load() != 6 {
		t.Errorf("another station's report: %v, %d builds, want 6", err, f.n.Load())
	}
}

// The reports kept hold at most cachedStations station sections, the least recently used
// dropped first; a larger one is kept alone.
func TestCacheBound(t *testing.T) {
	size := map[string]int{}
	build := func(_ context.Context, m Month, station string, _ time.Time) (*Report, error) {
		return &Report{Month: m.String(), Stations: make([]Station, size[station])}, nil
	}
	reg := &quantrac.Registry{}
	c := NewCache(build, func() *quantrac.Registry { return reg }, NewChanges())
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	get := func(m time.Month, station string) {
		now = now.Add(time.Second)
		if _, err := c.Report(context.Background(), Month{2026, m}, station, now); err != nil {
			t.Fatal(err)
		}
	}
	size["half"], size["huge"] = cachedStations/2, cachedStations*2
	get(time.January, "half")
	get(time.February, "half")
	get(time.January, "half") // used again: February is the oldest now
	get(time.March, "half")
	if len(c.entries) != 2 || c.entries[cacheKey{Month{2026, time.February}, "half"}] != nil || c.stations != cachedStations {
		t.Errorf("kept %d reports of %d stations, February's %v", len(c.entries), c.stations, c.entries[cacheKey{Month{2026, time.February}, "half"}] != nil)
	}
	get(time.April, "huge")
	if len(c.entries) != 1 || c.stations != 2*cachedStations {
		t.Errorf("kept %d reports of %d stations, want the huge one alone", len(c.entries), c.stations)
	}
	for m := range 70 {
		get(time.Month(m%12+1), fmt.Sprint(m))
	}
	if len(c.entries) > cachedReports {
		t.Errorf("kept %d reports, at most %d", len(c.entries), cachedReports)
	}
}

// Requests for a report being built wait for that build instead of building it again.
func TestCacheOneBuildForConcurrentRequests(t *testing.T) {
	var f fakeBuild
	release := make(chan struct{})
	build := func(ctx context.Context, m Month, station string, now time.Time) (*Report, error) {
		<-release
		return f.build(ctx, m, station, now)
	}
	reg := &quantrac.Registry{}
	c := NewCache(build, func() *quantrac.Registry { return reg }, NewChanges())
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if r, err := c.Report(context.Background(), Month{2026, time.November}, "", now); err != nil || r.Month != "2026-11" {
				t.Errorf("report %v, %v", r, err)
			}
		})
	}
	waitFor(t, func() bool { c.mu.Lock(); defer c.mu.Unlock(); return len(c.building) == 1 })
	close(release)
	wg.Wait()
	if f.n.Load() != 1 {
		t.Errorf("%d builds for 8 requests at once, want 1", f.n.Load())
	}
}

// The current month, a month not over in every zone and every month without a record of the
// writes are built on each request.
func TestCacheBuildsMovingMonths(t *testing.T) {
	var f fakeBuild
	reg := &quantrac.Registry{}
	registry := func() *quantrac.Registry { return reg }
	for _, tc := range []struct {
		name    string
		now     time.Time
		changes *Changes
	}{
		{"current month", time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC), NewChanges()},
		{"month over in UTC only", time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), NewChanges()},
		{"no record of writes", time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC), nil},
	} {
		f.n.Store(0)
		c := NewCache(f.build, registry, tc.changes)
		for range 2 {
			if _, err := c.Report(context.Background(), Month{2026, time.November}, "", tc.now); err != nil {
				t.Fatal(err)
			}
		}
		if f.n.Load() != 2 {
			t.Errorf("%s: %d builds for 2 requests, want 2", tc.name, f.n.Load())
		}
	}
}

// At most BuildSlots reports are built at once; QueuedBuilds requests wait, the next is
// refused with ErrBusy, and a waiting request whose client leaves gives up its place.
func TestCacheBoundsBuilds(t *testing.T) {
	var inside, most atomic.Int32
	release := make(chan struct{})
	build := func(ctx context.Context, m Month, station string, now time.Time) (*Report, error) {
		n := inside.Add(1)
		defer inside.Add(-1)
		for {
			if m := most.Load(); n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		<-release
		return &Report{}, nil
	}
	reg := &quantrac.Registry{}
	c := NewCache(build, func() *quantrac.Registry { return reg }, NewChanges())
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, BuildSlots+QueuedBuilds)
	for i := range BuildSlots + QueuedBuilds {
		wg.Go(func() {
			_, err := c.Report(context.Background(), Month{2026, time.November}, fmt.Sprint(i), now)
			errs <- err
		})
	}
	waitFor(t, func() bool { return inside.Load() == BuildSlots && len(c.queue) == QueuedBuilds })
	if _, err := c.Report(context.Background(), Month{2026, time.October}, "", now); !errors.Is(err, ErrBusy) {
		t.Errorf("request beyond the queue: %v, want ErrBusy", err)
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("queued request: %v", err)
		}
	}
	if most.Load() != BuildSlots {
		t.Errorf("%d builds at once, want %d", most.Load(), BuildSlots)
	}

	// A full house again; a queued request whose context ends returns its error.
	block := make(chan struct{})
	c = NewCache(func(context.Context, Month, string, time.Time) (*Report, error) { <-block; return &Report{}, nil },
		func() *quantrac.Registry { return reg }, nil)
	for range BuildSlots {
		wg.Go(func() { _, _ = c.Report(context.Background(), Month{2026, time.November}, "", now) })
	}
	waitFor(t, func() bool { return len(c.slots) == BuildSlots })
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Report(ctx, Month{2026, time.November}, "", now); !errors.Is(err, context.DeadlineExceeded) || len(c.queue) != 0 {
		t.Errorf("queued request past its deadline: %v, queue %d", err, len(c.queue))
	}
	close(block)
	wg.Wait()
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// The day of a line protocol point is that of its timestamp, or now's without one.
func TestPointDay(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	day := func(t time.Time) int64 { return t.UnixNano() / nsPerDay }
	for _, tc := range []struct {
		line string
		want int64
	}{
		{"air,station=A pm25=1 1764547200000000000", day(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))},
		{"air,station=A pm25=1 1764547200000000000\r", day(time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC))},
		{"air,station=A pm25=1", day(now)},
		{`rejected_messages,reason=x payload="a b"`, day(now)},
		{"air,station=A pm25=1 99999999999999999999", day(now)},
		{"air,station=A pm25=1 -1", -1},
	} {
		if got := pointDay([]byte(tc.line), now); got != tc.want {
			t.Errorf("pointDay(%q) = %d, want %d", tc.line, got, tc.want)
		}
	}
}

// BenchmarkChangesWrote is the cost Changes adds to a write of 5,000 points.
func BenchmarkChangesWrote(b *testing.B) {
	now := time.Now()
	var body []byte
	for i := range 5000 {
		body = fmt.Appendf(body, "air,station=LC-AQ-%04d pm25=%d,pm10=%d,co=1.5,no2=20,so2=3,o3=40 %d\n", i, i%90, i%150, now.Add(-time.Duration(i)*time.Second).UnixNano())
	}
	c := NewChanges()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		c.Wrote(body, now)
	}
}

// A change that is no point written (an approval, a span) dated in or before a kept month
// has its report built again; one dated after the month does not.
func TestCacheChangedByApprovalOrSpan(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	nov := Month{2026, time.November}
	var f fakeBuild
	reg := &quantrac.Registry{}
	ch := NewChanges()
	c := NewCache(f.build, func() *quantrac.Registry { return reg }, ch)
	get := func(want int32, why string) {
		t.Helper()
		if _, err := c.Report(context.Background(), nov, "", now); err != nil {
			t.Fatal(err)
		}
		if got := f.n.Load(); got != want {
			t.Errorf("%s: %d builds, want %d", why, got, want)
		}
	}
	get(1, "first request")
	ch.Changed(time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC))
	get(1, "after a span from 3 December")
	start, _ := nov.Bounds(time.UTC)
	ch.Changed(start)
	get(2, "after an approval of November")
	ch.Changed(time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC))
	get(3, "after a span from 20 November")
}
