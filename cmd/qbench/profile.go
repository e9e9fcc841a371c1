package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfFrequency is the sampling rate of perf record, per second and CPU.
const perfFrequency = 999

// profile runs one more end-to-end phase at n stations with perf sampling quantrac (an
// unstripped build, so that perf can name Go functions), and keeps the top of the reports.
func (b *bench) profile(n int) (*Profile, error) {
	r, err := newStationRun(b, n, fmt.Sprintf("profile_%d", n))
	if err != nil {
		return nil, err
	}
	defer r.close()
	if r.q, err = r.startQuantrac(b.o.profileBin, true); err != nil {
		return nil, err
	}
	data := filepath.Join(b.o.outDir, b.stamp+".perf.data") // .gitignore: /bench-results/*.perf.data
	args := []string{"record", "-F", strconv.Itoa(perfFrequency), "-g", "-p", strconv.Itoa(r.q.PID()), "-o", data}
	b.command("perf " + strings.Join(args, " "))
	perf, err := startProc("perf", filepath.Join(r.dir, "perf.log"), b.o.perfBin, args)
	if err != nil {
		return nil, err
	}
	time.Sleep(500 * time.Millisecond) // perf attaches to every thread
	sim, err := r.runSim("stationsim-profile", load{count: b.o.messages, start: r.t1, prefix: pubPrefix})
	if err != nil {
		_ = perf.Stop(syscall.SIGKILL, time.Second)
		return nil, err
	}
	if _, err := r.pollCount(int64(sim.summary["acked"]), r.t1); err != nil {
		_ = perf.Stop(syscall.SIGKILL, time.Second)
		return nil, err
	}
	if err := perf.Stop(syscall.SIGINT, 60*time.Second); err != nil {
		return nil, err
	}
	return b.perfReports(n, data)
}

// perfReports summarises perf.data: self time by symbol, cumulative time by symbol, and
// time by binary.
func (b *bench) perfReports(n int, data string) (*Profile, error) {
	p := &Profile{Stations: n, Files: []string{data}}
	reports := []struct {
		name  string
		args  []string
		limit float64
		dst   *[]string
	}{
		{"self", []string{"--no-children", "--sort", "symbol"}, 0.5, &p.Self},
		{"children", []string{"--children", "--sort", "symbol"}, 2, &p.Children},
		{"dso", []string{"--no-children", "--sort", "dso"}, 0.5, &p.DSO},
	}
	for _, rep := range reports {
		args := append([]string{"report", "-i", data, "--stdio", "-g", "none", "--percent-limit", strconv.FormatFloat(rep.limit, 'f', -1, 64)}, rep.args...)
		b.command("perf " + strings.Join(args, " "))
		out, err := exec.Command(b.o.perfBin, args...).Output()
		if err != nil {
			return nil, fmt.Errorf("perf %s: %w", strings.Join(args, " "), err)
		}
		file := filepath.Join(b.o.outDir, b.stamp+"-perf-"+rep.name+".txt")
		if err := os.WriteFile(file, out, 0o644); err != nil {
			return nil, err
		}
		p.Files = append(p.Files, file)
		for _, line := range strings.Split(string(out), "\n") {
			t := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(t, "# Samples:") && p.Samples == "":
				p.Samples = strings.TrimPrefix(t, "# ")
			case t != "" && t[0] != '#' && strings.Contains(t, "%"):
				t = strings.Join(strings.Fields(t), " ")
				*rep.dst = append(*rep.dst, strings.TrimSuffix(t, " - -")) // -g none leaves empty parent columns
			}
		}
	}
	return p, nil
}
