package testenv

import (
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	t0 := time.Now()
	in := InfluxDB(t, InfluxOptions{})
	t.Logf("start %v", time.Since(t0)); t0 = time.Now()
	in.CreateDatabase("quantrac")
	t.Logf("create %v", time.Since(t0)); t0 = time.Now()
	in.Write("quantrac/autogen", influxPoints)
	t.Logf("write %v", time.Since(t0)); t0 = time.Now()
	in.Count("quantrac", `SELECT count("pm25") FROM "air"`)
	t.Logf("count %v", time.Since(t0)); t0 = time.Now()
	in.Stop()
	t.Logf("stop %v", time.Since(t0)); t0 = time.Now()
	in.Start()
	t.Logf("start %v", time.Since(t0)); t0 = time.Now()
	in.Kill()
	t.Logf("kill %v", time.Since(t0)); t0 = time.Now()
	in.Start()
	t.Logf("start %v", time.Since(t0)); t0 = time.Now()
	t.Fail()
}
