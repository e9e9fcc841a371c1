package spool

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Sizes used when Options leave them zero.
const (
	// DefaultMaxBytes is the spool.max_bytes default (README.md, "Configuration reference").
	DefaultMaxBytes = 1 << 30
	// DefaultSegmentBytes bounds one segment file. Space is freed a whole segment at a
	// time, so a segment is also never more than a quarter of MaxBytes by default.
	DefaultSegmentBytes = 64 << 20
	// DefaultCheckpointSyncBytes is how many bytes of records may be confirmed between two
	// fsyncs of the checkpoint file: the most a power loss can make the spool re-deliver.
	DefaultCheckpointSyncBytes = 4 << 20
)

var (
	// ErrFull is returned by Append when the record would take the spool beyond MaxBytes.
	// Nothing was written; retry after the consumer has confirmed records.
	ErrFull = errors.New("spool full")
	// ErrTooLarge is returned by Append for a record that could never fit, even in an empty
	// spool. Retrying does not help: split the record.
	ErrTooLarge = errors.New("spool: record too large")
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("spool: closed")
	// ErrNotHead is returned by Confirm for a sequence number other than the one of the
	// record the last Next returned.
	ErrNotHead = errors.New("spool: confirm of a record that is not the head")
)

// Options configure a Spool. Only Dir is required.
type Options struct {
	// Dir holds the segment files and the checkpoint; it is created if missing. One process
	// at a time may open it.
	Dir string
	// MaxBytes bounds the segment files on disk (DefaultMaxBytes when zero).
	MaxBytes int64
	// SegmentBytes starts a new segment file when the current one would grow beyond it
	// (DefaultSegmentBytes, at most MaxBytes/4, when zero). A single record larger than
	// SegmentBytes gets a segment of its own.
	SegmentBytes int64
	// CheckpointSyncBytes bounds re-delivery after a power loss
	// (DefaultCheckpointSyncBytes when zero).
	CheckpointSyncBytes int64
	// Now stamps appended records and computes the oldest record's age (time.Now when nil).
	Now func() time.Time
	// Logger receives recovery and corruption reports (discarded when nil).
	Logger *slog.Logger
	// Registerer receives the spool's metrics (not registered when nil).
	Registerer prometheus.Registerer

	noSync bool // tests only: skip every fsync, to fuzz recovery faster
}

// withDefaults fills zero fields and validates the result.
func (o Options) withDefaults() (Options, error) {
	if o.Dir == "" {
		return o, errors.New("spool: Options.Dir is empty")
	}
	if o.MaxBytes == 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.SegmentBytes == 0 {
		o.SegmentBytes = min(DefaultSegmentBytes, max(o.MaxBytes/4, 1))
	}
	if o.CheckpointSyncBytes == 0 {
		o.CheckpointSyncBytes = DefaultCheckpointSyncBytes
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.MaxBytes < 0:
		return o, fmt.Errorf("spool: MaxBytes %d is negative", o.MaxBytes)
	case o.SegmentBytes < 0 || o.SegmentBytes > o.MaxBytes:
		return o, fmt.Errorf("spool: SegmentBytes %d is not in [1, MaxBytes=%d]", o.SegmentBytes, o.MaxBytes)
	case o.CheckpointSyncBytes < 0:
		return o, fmt.Errorf("spool: CheckpointSyncBytes %d is negative", o.CheckpointSyncBytes)
	}
	return o, nil
}

// Record is one record read back from the spool.
type Record struct {
	Seq      uint64    // sequence number, increasing by one per Append
	Data     []byte    // the bytes given to Append; do not modify
	Appended time.Time // when Append was called (Options.Now)
}

// segment is one segment file: the records from first up to the next segment's first.
type segment struct {
	first   uint64 // sequence number of its first record; also its file name
	path    string
	size    int64 // bytes written plus queued for writing
	synced  int64 // bytes written and fsynced: the reader never reads beyond
	damaged bool  // a corrupt region was skipped: renamed *.corrupt instead of deleted
}

// Spool is a durable, bounded, append-only queue of byte records on disk. Append is safe for
// concurrent use; Next and Confirm are meant for one consumer goroutine (they serialise on
// one lock, which a waiting Next holds).
type Spool struct {
	opts    Options
	log     *slog.Logger
	unlock  func() error // releases the directory lock
	cp      *checkpoint
	metrics *collector
	done    chan struct{} // closed by Close: wakes Next

	mu       sync.Mutex
	cond     sync.Cond  // signalled when a flush ends
	segs     []*segment // oldest first; segs[0] holds the head once it is durable
	tail     *segment   // segment new records go to; nil when a new one must be started
	w        *os.File   // open for appending to wseg; owned by the flushing leader
	wseg     *segment
	fill     *batch        // frames waiting for the next flush
	spare    *batch        // the other batch, reused
	flushing bool          // a leader is writing outside mu
	flushed  chan struct{} // closed and replaced after each successful flush
	nextSeq  uint64        // sequence number of the next Append
	durable  uint64        // records below it are fsynced
	head     uint64        // oldest unconfirmed record
	headTime time.Time     // its append time
	bytes    int64         // sum of segment sizes, including queued frames
	corrupt  int           // corruption events detected
	lost     uint64        // records lost to damage (a lower bound, see scanTail)
	err      error         // sticky error: a failed write could not be undone; the spool must be reopened
	failed   error         // error of the last write, nil once a write succeeds
	closed   bool
	flushes  int    // writes+fsyncs done, to measure group commit
	hookW    func() // test hook: called by the leader before writing

	// Consumer state, guarded by rmu (taken before mu).
	rmu      sync.Mutex
	rf       *os.File // segs[0] open for reading
	rseg     *segment
	rOff     int64  // offset of the head record in segs[0]
	cur      Record // head record returned by Next, while hasCur
	hasCur   bool
	curSize  int64
	hb       [headerSize]byte // header read buffer
	unsynced int64            // bytes confirmed since the checkpoint was last fsynced
}

// Len returns the number of records appended and not yet confirmed.
func (s *Spool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(s.nextSeq - s.head)
}

// Bytes returns the bytes the segment files take on disk, including records confirmed but
// not yet freed (space is freed one whole segment at a time). It is 0 when Len is 0.
func (s *Spool) Bytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// nearlyFull is the share of MaxBytes beyond which Refusal reports the spool as full: a batch
// of messages needs room for more than one small record.
const nearlyFull = 0.9

// Refusal says why the spool cannot take data now, or nil when it can: it is closed, it is
// nearly full (90% of MaxBytes), or its last write to disk failed (a full disk, an I/O error)
// and no write has succeeded since — a full disk counts as over once its file system has room
// for a segment again. Append still tries in every case but the first: a failed write is
// retried, and succeeds once space returns.
func (s *Spool) Refusal() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return ErrClosed
	case s.err != nil:
		return s.err
	case s.failed != nil && !spaceReturned(s.failed, s.opts.Dir, s.opts.SegmentBytes):
		return s.failed
	case float64(s.bytes) >= nearlyFull*float64(s.opts.MaxBytes):
		return fmt.Errorf("%w: %d of %d bytes", ErrFull, s.bytes, s.opts.MaxBytes)
	}
	return nil
}

// Close writes what concurrent Appends queued, syncs the checkpoint, closes the files,
// unregisters the metrics and releases the directory. Appends waiting for durability
// return normally; Next returns ErrClosed.
func (s *Spool) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	close(s.done)
	for s.flushing || (s.durable < s.nextSeq && s.err == nil) {
		if s.flushing {
			s.cond.Wait()
		} else {
			s.flush()
		}
	}
	w := s.w
	s.w, s.wseg = nil, nil
	s.mu.Unlock()

	s.rmu.Lock()
	defer s.rmu.Unlock()
	var errs []error
	if s.rf != nil {
		errs = append(errs, s.rf.Close())
		s.rf = nil
	}
	if w != nil {
		errs = append(errs, w.Close())
	}
	errs = append(errs, s.cp.close(), s.unlock())
	if s.metrics != nil {
		s.opts.Registerer.Unregister(s.metrics)
	}
	return errors.Join(errs...)
}

// segPath returns the path of the segment whose first record is seq.
func (s *Spool) segPath(seq uint64) string {
	return filepath.Join(s.opts.Dir, fmt.Sprintf("%020d%s", seq, segExt))
}

// segEnd returns the sequence number after the last durable record of segs[i].
// Called with mu held.
func (s *Spool) segEnd(i int) uint64 {
	if i+1 < len(s.segs) {
		return min(s.segs[i+1].first, s.durable)
	}
	return s.durable
}

// sealed reports whether segs[i] is complete: every record it will ever hold is durable.
// Called with mu held.
func (s *Spool) sealed(i int) bool {
	return i+1 < len(s.segs) && s.segs[i+1].first <= s.durable
}
