package main

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quantrac/quantrac/internal/testenv"
)

func TestInfluxConfig(t *testing.T) {
	c := influxConfig("/d", 8086, 8088)
	for _, want := range []string{"reporting-disabled = true\n", "bind-address = \"127.0.0.1:8088\"\n",
		"\n[data]\n", "  wal-dir = \"/d/wal\"\n", "\n[monitor]\n  store-enabled = false\n",
		"  bind-address = \"127.0.0.1:8086\"\n", "  flux-enabled = false\n", "  log-enabled = false\n"} {
		if !strings.Contains(c, want) {
			t.Errorf("influxdb.conf lacks %q:\n%s", want, c)
		}
	}
	c = influxConfig("/d", 8086, 8088, confSetting{"http", "log-enabled", "true"}, confSetting{"data", "index-version", `"tsi1"`},
		confSetting{"coordinator", "write-timeout", `"20s"`}, confSetting{"", "hostname", `"h"`})
	for _, want := range []string{"  log-enabled = true\n", "  index-version = \"tsi1\"\n", "\n[coordinator]\n  write-timeout = \"20s\"\n"} {
		if !strings.Contains(c, want) {
			t.Errorf("influxdb.conf with settings lacks %q:\n%s", want, c)
		}
	}
	if strings.Contains(c, "\n  log-enabled = false") {
		t.Errorf("a setting did not replace the base one:\n%s", c)
	}
	if top, _, _ := strings.Cut(c, "["); !strings.Contains(top, "hostname = \"h\"\n") {
		t.Errorf("a top-level setting is not before the first section:\n%s", c)
	}
}

func TestParseVariant(t *testing.T) {
	v, err := parseVariant("x", "batch=20000,precision=s,gzip=true,client=plain,writers=1,env.GOGC=400,data.wal-fsync-delay=50ms,data.max-concurrent-compactions=1,monitor.store-enabled=true")
	if err != nil {
		t.Fatal(err)
	}
	if v.Batch != 20000 || v.Precision != "s" || !v.Gzip || v.Client != "plain" || v.Writers != 1 ||
		len(v.Env) != 1 || v.Env[0] != "GOGC=400" {
		t.Errorf("parsed %+v", v)
	}
	want := []confSetting{{"data", "wal-fsync-delay", `"50ms"`}, {"data", "max-concurrent-compactions", "1"}, {"monitor", "store-enabled", "true"}}
	if len(v.conf) != len(want) {
		t.Fatalf("conf %v, want %v", v.conf, want)
	}
	for i := range want {
		if v.conf[i] != want[i] {
			t.Errorf("conf[%d] = %v, want %v", i, v.conf[i], want[i])
		}
	}
	base, err := parseVariant("base", "")
	if err != nil || base.Batch != 5000 || base.Precision != "ns" || base.Gzip || base.Client != "v2" || base.Writers != 2 {
		t.Errorf("base = %+v, %v", base, err)
	}
	for _, bad := range []string{"batch=0", "precision=ms", "client=curl", "gzip=maybe", "writers=-1", "nokey", "color=red",
		"client=quantrac,precision=s", "client=quantrac,gzip=true"} {
		if _, err := parseVariant("bad", bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	for _, b := range wcBuiltin {
		if _, err := parseVariant(b.name, b.spec); err != nil {
			t.Errorf("built-in %s: %v", b.name, err)
		}
	}
}

func TestWriteCostFlags(t *testing.T) {
	o, err := parseWriteCostFlags([]string{"-influxd", "/x", "-variants", "base,s", "-variant", "mine:batch=7", "-profile", "mine"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(o.variants) != 3 || o.variants[2].Name != "mine" || o.variants[2].Batch != 7 {
		t.Errorf("variants %+v", o.variants)
	}
	if o, err := parseWriteCostFlags([]string{"-influxd", "/x", "-variants", "", "-variant", "only:batch=7", "-profile", ""}, io.Discard); err != nil ||
		len(o.variants) != 1 || o.variants[0].Name != "only" {
		t.Errorf("-variants '' with one -variant: %v", err)
	}
	for _, bad := range [][]string{{"-variants", "", "-profile", ""}, {"-variants", "nosuch"}, {"-variant", "nocolon"}, {"-profile", "gzip", "-variants", "base"}, {"-points", "0"}} {
		if _, err := parseWriteCostFlags(append([]string{"-influxd", "/x"}, bad...), io.Discard); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestGenerateLoad(t *testing.T) {
	l, err := generateLoad(30, 100, 3000)
	if err != nil {
		t.Fatal(err)
	}
	warm := 0
	for _, n := range l.points[:l.warmupMsgs] {
		warm += n
	}
	if warm < 100 || warm-l.points[l.warmupMsgs-1] >= 100 {
		t.Errorf("warm-up of %d points in %d messages, want the first messages reaching 100", warm, l.warmupMsgs)
	}
	if l.measuredPoints < 3000 || l.measuredPoints > 3003 {
		t.Errorf("%d measured points, want 3000 (+ a message's AQI points)", l.measuredPoints)
	}
	total := int64(warm + l.measuredPoints)
	if l.air+l.ww+l.aqi != total || l.aqi == 0 || float64(l.aqi)/float64(l.air+l.ww) > 0.15 {
		t.Errorf("air %d, wastewater %d, aqi %d of %d points", l.air, l.ww, l.aqi, total)
	}
	var all []byte
	for i, m := range l.msgs {
		if n := bytes.Count(m, []byte{'\n'}); n != l.points[i] {
			t.Fatalf("message %d: %d lines, %d points", i, n, l.points[i])
		}
		all = append(all, m...)
	}
	first := string(all[:bytes.IndexByte(all, '\n')])
	if !strings.HasPrefix(first, "air,station=SIM-AQ-0001,province=Lai\\ Châu ") || strings.Count(first, "=") != 8 ||
		!strings.HasSuffix(first, " "+strconv.FormatInt(wcStart.UnixNano(), 10)) {
		t.Errorf("first line %q: want air, the station's tags, 6 fields, the load's start", first)
	}
	if wcStart.Unix()%(7*86400) != 0 {
		t.Errorf("start %v is not on a 7-day shard group boundary", wcStart)
	}
	if got, want := l.last, wcStart.Add(time.Duration((l.air+l.ww-1)/30)*wcStep); !got.Equal(want) {
		t.Errorf("last message at %v, want about %v", got, want)
	}

	bodies, points := l.batches(l.warmupMsgs, len(l.msgs), 1000)
	sum := 0
	for i, b := range bodies {
		sum += points[i]
		if bytes.Count(b, []byte{'\n'}) != points[i] || i < len(bodies)-1 && points[i] < 1000 {
			t.Errorf("batch %d: %d points", i, points[i])
		}
	}
	if sum != l.measuredPoints {
		t.Errorf("batches hold %d points, want %d", sum, l.measuredPoints)
	}
	sec, err := secondsPrecision(bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := bytes.ReplaceAll(bodies[0], []byte("000000000\n"), []byte("\n")); !bytes.Equal(sec, want) {
		t.Errorf("seconds precision:\n%s\nwant\n%s", sec[:200], want[:200])
	}
	if _, err := secondsPrecision([]byte("m f=1 1500000000\n")); err == nil {
		t.Error("a timestamp that is not a whole second converted to seconds")
	}
}

// TestWriteCostRun measures a small load against a real influxd, through every client.
func TestWriteCostRun(t *testing.T) {
	bin := testenv.Influxd(t)
	dir := t.TempDir()
	args := []string{"-influxd", bin, "-stations", "20", "-points", "2000", "-warmup", "100", "-repeat", "1", "-profile", "",
		"-variants", "base,plain-s,quantrac", "-variant", "gz:client=plain,gzip=true,batch=700,writers=1,http.log-enabled=true",
		"-persist=false", "-out", dir, "-stamp", "t"}
	o, err := parseWriteCostFlags(args, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o.idleTick, o.warmIdle = 200*time.Millisecond, 0
	var out bytes.Buffer
	if err := o.run(&out); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{"| base | batch 5000", "| plain-s | client=plain,precision=s |", "| quantrac |", "| gz |"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
	for _, f := range []string{"t-writecost.json", "t-writecost.md"} {
		if _, err := os.Stat(dir + "/" + f); err != nil {
			t.Error(err)
		}
	}
}
