package quantrac_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/internal/sim"
)

// registryMemory is what loading one registry file costs, per station.
type registryMemory struct {
	retained  float64 // heap kept by the loaded registry
	allocated float64 // bytes allocated while loading
	peak      float64 // highest live heap while loading, above the heap before
}

// generatedRegistry writes a registry of n stations like stationsim's (internal/sim): two
// thirds air stations with two regulations and two AQI schemes, one third wastewater stations
// with coefficients, each with a name, location, tag, interval, time zone and alias. It writes
// the YAML itself: encoding 200,000 stations with yaml.v3 takes gigabytes.
func generatedRegistry(tb testing.TB, n int) string {
	tb.Helper()
	var b bytes.Buffer
	b.WriteString("stations:\n")
	for i := range n {
		lat, lon := 22+float64(i%997)/1000, 103+float64(i%991)/1000
		if i%3 == 2 {
			fmt.Fprintf(&b, "  - id: SIM-WW-%06d\n    name: \"Trạm nước thải Tam Đường %06d\"\n    kind: wastewater\n"+
				"    regulations: [QCVN-40:2011/B]\n    coefficients: {kq: 0.9, kf: 1.0}\n    aliases: [SIMWW%06d]\n", i, i, i)
		} else {
			fmt.Fprintf(&b, "  - id: SIM-AQ-%06d\n    name: \"Trạm không khí Tam Đường %06d\"\n    kind: air\n"+
				"    regulations: [QCVN-05:2023, WHO-2021]\n    aqi: [vn, us]\n    aliases: [SIMAQ%06d]\n", i, i, i)
		}
		fmt.Fprintf(&b, "    location: {lat: %.4f, lon: %.4f}\n    tags: {province: \"%s\"}\n"+
			"    interval: 5m\n    timezone: Asia/Ho_Chi_Minh\n", lat, lon, sim.Province)
	}
	path := filepath.Join(tb.TempDir(), "stations.yaml")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

// measureLoad loads the registry at path and measures its memory per station.
func measureLoad(tb testing.TB, path string) registryMemory {
	tb.Helper()
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (live, allocs uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	runtime.GC()
	live0, allocs0 := read()
	var (
		mu   sync.Mutex
		peak = live0
		stop = make(chan struct{})
		done = make(chan struct{})
	)
	go func() { // sample the live heap while loading: its peak is what a deployment must hold
		defer close(done)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			mu.Lock()
			peak = max(peak, s[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()
	reg, err := quantrac.LoadRegistry(path, quantrac.RegistryOptions{})
	close(stop)
	<-done
	if err != nil {
		tb.Fatal(err)
	}
	_, allocs1 := read()
	runtime.GC()
	live1, _ := read()
	n := float64(reg.Len())
	runtime.KeepAlive(reg)
	return registryMemory{
		retained:  float64(live1-min(live0, live1)) / n,
		allocated: float64(allocs1-allocs0) / n,
		peak:      float64(peak-live0) / n,
	}
}

// BenchmarkLoadRegistry200k loads a generated registry of 200,000 stations (such a registry
// made `quantrac run` grow past 8 GB before it was ready) and reports the registry's memory per
// station: retained once loaded, allocated and peak while loading.
//
//	go test -run '^$' -bench LoadRegistry200k -benchtime 1x .
func BenchmarkLoadRegistry200k(b *testing.B) {
	path := generatedRegistry(b, 200_000)
	b.ReportAllocs()
	b.ResetTimer()
	var m registryMemory
	for range b.N {
		m = measureLoad(b, path)
	}
	b.ReportMetric(m.retained, "retained-B/station")
	b.ReportMetric(m.peak, "peak-B/station")
	b.ReportMetric(m.allocated, "alloc-B/station")
}

// TestRegistryMemoryPerStation bounds what a loaded registry keeps per station, at a size
// the race detector runs in seconds (the 200,000-station figures: BenchmarkLoadRegistry200k).
func TestRegistryMemoryPerStation(t *testing.T) {
	m := measureLoad(t, generatedRegistry(t, 20_000))
	t.Logf("per station: retained %.0f B, peak while loading %.0f B, allocated %.0f B", m.retained, m.peak, m.allocated)
	// 1,064 B measured; 1,568 B when every station had its own copy of its time zone.
	if m.retained > 1280 {
		t.Errorf("a loaded registry keeps %.0f bytes per station, want at most 1280", m.retained)
	}
}
