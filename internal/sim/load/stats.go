package load

import (
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/quantrac/quantrac/internal/sim"
)

// Stats counts what a run did.
type Stats struct {
	Sent   int64 // data messages handed to the broker (or files written)
	Acked  int64 // of those, confirmed: PUBACK at QoS 1, written to the socket at QoS 0, file renamed
	Failed int64 // of those, failed or not confirmed before the end
	// Resent counts QoS 1 publishes whose connection broke while they were sent: paho keeps
	// them and resends them after reconnecting, but their acknowledgement is not observable.
	Resent   int64
	Readings int64 // readings in the good (not bad) messages sent
	Bytes    int64 // payload bytes of the data messages
	// Kinds counts the data messages sent by kind: Kinds[sim.Good] are the good ones.
	Kinds [sim.NumBadKinds]int64
	// Faults counts the readings of good messages by injected fault: Faults[sim.NoFault] are
	// the sound ones.
	Faults [sim.NumFaults]int64
	Status int64 // station status messages (online/offline) published
	// Elapsed and CPU are filled by the caller: wall time of the run and the process's CPU.
	Elapsed time.Duration
	CPU     time.Duration
}

// Add adds o's counters to s.
func (s *Stats) Add(o Stats) {
	s.Sent += o.Sent
	s.Acked += o.Acked
	s.Failed += o.Failed
	s.Resent += o.Resent
	s.Readings += o.Readings
	s.Bytes += o.Bytes
	s.Status += o.Status
	for i := range s.Kinds {
		s.Kinds[i] += o.Kinds[i]
	}
	for i := range s.Faults {
		s.Faults[i] += o.Faults[i]
	}
}

// BadTotal returns the number of bad messages sent.
func (s *Stats) BadTotal() int64 { return s.Sent - s.Kinds[sim.Good] }

// Rate returns messages sent per second of elapsed time.
func (s *Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Sent) / s.Elapsed.Seconds()
}

// WriteSummary writes the end-of-run summary: readable lines, then one "summary:" line of
// key=value pairs for scripts.
func (s *Stats) WriteSummary(w io.Writer) error {
	var bad strings.Builder
	for k := sim.BadMalformed; int(k) < sim.NumBadKinds; k++ {
		fmt.Fprintf(&bad, " %s=%d", k, s.Kinds[k])
	}
	perMsg := time.Duration(0)
	if s.Sent > 0 {
		perMsg = s.CPU / time.Duration(s.Sent)
	}
	if err := s.writeFaults(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, `stationsim: messages  sent=%d acked=%d resent=%d failed=%d bytes=%d
stationsim: readings  %d in good messages
stationsim: bad       total=%d%s
stationsim: status    %d messages
stationsim: elapsed   %s, %.1f msg/s
stationsim: cpu       %.3fs (%s per message)
summary: sent=%d acked=%d resent=%d failed=%d readings=%d bad=%d status=%d elapsed_s=%.3f msg_per_s=%.1f cpu_s=%.3f%s
`,
		s.Sent, s.Acked, s.Resent, s.Failed, s.Bytes, s.Readings, s.BadTotal(), bad.String(), s.Status,
		s.Elapsed.Round(time.Millisecond), s.Rate(), s.CPU.Seconds(), perMsg,
		s.Sent, s.Acked, s.Resent, s.Failed, s.Readings, s.BadTotal(), s.Status, s.Elapsed.Seconds(), s.Rate(),
		s.CPU.Seconds(), bad.String())
	return err
}

// CPUTime returns the user + system CPU time this process has used.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// writeFaults writes the line of injected faults, when there are any.
func (s *Stats) writeFaults(w io.Writer) error {
	var b strings.Builder
	for f := sim.FaultStuck; int(f) < sim.NumFaults; f++ {
		fmt.Fprintf(&b, " %s=%d", f, s.Faults[f])
	}
	if s.Readings == s.Faults[sim.NoFault] {
		return nil
	}
	_, err := fmt.Fprintf(w, "stationsim: faults   %s (readings)\n", b.String())
	return err
}
