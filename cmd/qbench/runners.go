package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// load describes one stationsim run over the stations of a station count.
type load struct {
	count    int64         // data messages in total (0: until duration)
	start    time.Time     // measurement time of each station's first message (zero: now)
	rate     float64       // messages per second; 0 = as fast as possible
	duration time.Duration // 0: until count
	prefix   string        // MQTT client id prefix
}

// simResult is a finished stationsim run.
type simResult struct {
	began   time.Time          // when stationsim logged "starting", just before connecting
	exited  time.Time          // when it had exited
	summary map[string]float64 // its summary line: sent, acked, failed, cpu_s, …
}

// simArgs are stationsim's flags for l: generated stations, QoS 1, no status messages and
// no calibrating status (so every accepted message is one point with every parameter).
func (r *stationRun) simArgs(l load) []string {
	o := r.b.o
	args := []string{
		"-broker", r.broker.URL(), "-stations", strconv.Itoa(r.n), "-conns", strconv.Itoa(o.conns),
		"-qos", "1", "-rate", strconv.FormatFloat(l.rate, 'f', -1, 64), "-params", strconv.Itoa(o.params),
		"-status=false", "-calibrate", "0", "-violate", strconv.FormatFloat(o.violate, 'f', -1, 64),
		"-seed", strconv.Itoa(simSeed), "-client-id-prefix", l.prefix,
	}
	if l.count > 0 {
		args = append(args, "-count", strconv.FormatInt(l.count, 10))
	}
	if l.duration > 0 {
		args = append(args, "-duration", l.duration.String())
	}
	if !l.start.IsZero() {
		args = append(args, "-start", l.start.Format(time.RFC3339), "-step", o.step.String())
	}
	return args
}

// startSim starts stationsim and waits until it has logged "starting".
func (r *stationRun) startSim(name string, l load) (*proc, time.Time, error) {
	args := r.simArgs(l)
	r.b.command("stationsim " + strings.Join(args, " "))
	started := newWatch("msg=starting")
	p, err := startProc(name, filepath.Join(r.dir, name+".log"), r.b.o.stationsimBin, args, started)
	if err != nil {
		return nil, time.Time{}, err
	}
	select {
	case t := <-started.seen:
		return p, t, nil
	case <-p.done:
		return nil, time.Time{}, fmt.Errorf("%s exited at start: %w\n%s", name, p.err, p.Tail(20))
	case <-time.After(startTimeout):
		_ = p.Stop(syscall.SIGKILL, time.Second)
		return nil, time.Time{}, fmt.Errorf("%s did not start within %v", name, startTimeout)
	}
}

// runSim runs stationsim to completion.
func (r *stationRun) runSim(name string, l load) (simResult, error) {
	p, began, err := r.startSim(name, l)
	if err != nil {
		return simResult{}, err
	}
	if err := p.Wait(r.b.o.timeout); err != nil {
		_ = p.Stop(syscall.SIGKILL, time.Second)
		return simResult{}, fmt.Errorf("%s: %w\n%s", name, err, p.Tail(20))
	}
	res := simResult{began: began, exited: time.Now(), summary: parseSummary(p.Lines())}
	if res.summary == nil {
		return res, fmt.Errorf("%s printed no summary:\n%s", name, p.Tail(20))
	}
	if f := res.summary["failed"]; f > 0 {
		return res, fmt.Errorf("%s: %v publishes failed", name, f)
	}
	return res, nil
}

var summaryField = regexp.MustCompile(`(\w+)=([0-9.eE+-]+)`)

// parseSummary reads stationsim's last line "summary: k=v …".
func parseSummary(lines []string) map[string]float64 {
	for i := len(lines) - 1; i >= 0; i-- {
		rest, ok := strings.CutPrefix(lines[i], "summary:")
		if !ok {
			continue
		}
		m := map[string]float64{}
		for _, f := range summaryField.FindAllStringSubmatch(rest, -1) {
			m[f[1]], _ = strconv.ParseFloat(f[2], 64)
		}
		return m
	}
	return nil
}

// quantracProc is a running quantrac.
type quantracProc struct {
	*proc
	addr      string
	started   time.Time // process start
	connected watch     // "connected to MQTT broker": rules rebuilt, consuming from now on
}

// startQuantrac starts quantrac with the station count's configuration and, with ready,
// waits until /readyz answers 200.
func (r *stationRun) startQuantrac(bin string, ready bool) (*quantracProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	q := &quantracProc{addr: "127.0.0.1:" + strconv.Itoa(port), connected: newWatch("connected to MQTT broker")}
	args := []string{"run", "-config", r.cfgPath, "-web.listen-address", q.addr}
	r.b.command("quantrac " + strings.Join(args, " "))
	q.started = time.Now()
	q.proc, err = startProc("quantrac", filepath.Join(r.dir, "quantrac.log"), bin, args, q.connected)
	if err != nil {
		return nil, err
	}
	if !ready {
		return q, nil
	}
	err = waitFor(r.b.o.timeout, 20*time.Millisecond, "quantrac /readyz", func() (bool, error) {
		if q.Exited() {
			return false, fmt.Errorf("quantrac exited: %w\n%s", q.err, q.Tail(20))
		}
		_, code, err := q.get("/readyz")
		return code == http.StatusOK, err
	})
	if err != nil {
		_ = q.Stop(syscall.SIGKILL, 5*time.Second)
		return nil, err
	}
	return q, nil
}

// httpClient is for quantrac's HTTP endpoints; scrapeClient for /metrics, which takes long
// with many stations (its duration is part of the results).
var (
	httpClient   = &http.Client{Timeout: 30 * time.Second}
	scrapeClient = &http.Client{Timeout: 5 * time.Minute}
)

// get returns the body and status of GET path.
func (q *quantracProc) get(path string) ([]byte, int, error) { return q.getWith(httpClient, path) }

func (q *quantracProc) getWith(c *http.Client, path string) ([]byte, int, error) {
	resp, err := c.Get("http://" + q.addr + path)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// metrics scrapes /metrics once and returns the sums of the samples of the given metric
// names (all label sets added), keyed by name or by name{labels} for each label set too,
// the size of the exposition and how long the scrape took.
func (q *quantracProc) metrics(names ...string) (map[string]float64, int, time.Duration, error) {
	t0 := time.Now()
	body, code, err := q.getWith(scrapeClient, "/metrics")
	took := time.Since(t0)
	if err != nil {
		return nil, 0, took, err
	}
	if code != http.StatusOK {
		return nil, 0, took, fmt.Errorf("/metrics: HTTP %d", code)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, n := range names {
			if !strings.HasPrefix(line, n) || (len(line) > len(n) && line[len(n)] != ' ' && line[len(n)] != '{') {
				continue
			}
			i := strings.LastIndexByte(line, ' ')
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err != nil {
				continue
			}
			out[n] += v
			if line[len(n)] == '{' {
				out[line[:i]] += v
			}
		}
	}
	return out, len(body), took, sc.Err()
}
