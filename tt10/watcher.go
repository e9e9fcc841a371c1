package tt10

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/quantrac/quantrac"
	"github.com/quantrac/quantrac/ingest/payload"
)

// Publisher sends one message at QoS 1 and returns once the broker has acknowledged it
// (PUBACK), or with an error when it did not.
type Publisher interface {
	Publish(ctx context.Context, topic string, payload []byte) error
}

// PublishFunc adapts a function to Publisher.
type PublishFunc func(ctx context.Context, topic string, payload []byte) error

// Publish calls f.
func (f PublishFunc) Publish(ctx context.Context, topic string, payload []byte) error {
	return f(ctx, topic, payload)
}

// Defaults of Options.
const (
	DefaultInterval      = 5 * time.Second
	DefaultTopicTemplate = "stations/{station}/{kind}"
	DefaultMaxFileBytes  = 256 << 10 // limits.max_payload_bytes
	// DefaultMaxSkew is how far the time in a file's name may be from its records' times
	// before the file is counted in quantrac_tt10_time_skew_files_total (it is accepted all
	// the same): two 5-minute intervals.
	DefaultMaxSkew = 10 * time.Minute
)

// Options configures a Watcher.
type Options struct {
	Dir       string                    // the folder tree the FTP server writes
	Registry  func() *quantrac.Registry // the current station registry (swapped on SIGHUP)
	Publisher Publisher
	// TopicTemplate is mqtt.topic_template, with {station} and optionally {kind}.
	TopicTemplate string
	// Settle is how long a file's size and modification time must stay unchanged before it
	// is taken as complete; 0 takes every file as soon as it is seen (uploads renamed into
	// place).
	Settle   time.Duration
	Interval time.Duration // scan period of Run
	// Rate bounds the files published per second (a large backfill), 0 for no bound.
	Rate float64
	// Limits are the ingester's payload limits, used to check a file before publishing it
	// (the same verdict the ingester will reach); MaxFileBytes is limits.max_payload_bytes.
	Limits       payload.Limits
	MaxFileBytes int
	MaxSkew      time.Duration
	Now          func() time.Time
	Logger       *slog.Logger
	Registerer   prometheus.Registerer
}

// Watcher publishes the data files of a folder tree. Scan and Run must not be called
// concurrently.
type Watcher struct {
	o       Options
	topic   func(*quantrac.Station) string
	m       *metrics
	comp    *completeness
	settle  *settler
	parser  *payload.Parser
	res     payload.Result
	next    time.Time // earliest time of the next publish under Rate
	failing bool      // the last scan failed (logged once, not every scan)
	log     *slog.Logger
}

// New builds a Watcher and registers its metrics; it does no I/O.
func New(o Options) (*Watcher, error) {
	if o.Dir == "" {
		return nil, errors.New("tt10: no folder to watch")
	}
	if o.Registry == nil || o.Publisher == nil {
		return nil, errors.New("tt10: Registry and Publisher are required")
	}
	if o.TopicTemplate == "" {
		o.TopicTemplate = DefaultTopicTemplate
	}
	if !strings.Contains(o.TopicTemplate, "{station}") {
		return nil, fmt.Errorf("tt10: topic template %q has no {station} level", o.TopicTemplate)
	}
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	if o.MaxFileBytes <= 0 {
		o.MaxFileBytes = DefaultMaxFileBytes
	}
	if o.MaxSkew <= 0 {
		o.MaxSkew = DefaultMaxSkew
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	w := &Watcher{
		o: o, m: newMetrics(o.Registerer), comp: newCompleteness(o.Now), settle: newSettler(o.Settle),
		parser: payload.NewParser(o.Limits), log: o.Logger,
	}
	tmpl := o.TopicTemplate
	w.topic = func(st *quantrac.Station) string {
		return strings.NewReplacer("{station}", st.ID, "{kind}", string(st.Kind)).Replace(tmpl)
	}
	if o.Registerer != nil {
		o.Registerer.MustRegister(w.comp)
	}
	return w, nil
}

// Run counts the files already in .done/ towards completeness, then scans every Interval
// until ctx is done. A scan that fails (the broker does not acknowledge) is logged and the
// next one tries again.
func (w *Watcher) Run(ctx context.Context) error {
	if err := w.Seed(ctx); err != nil {
		w.log.Warn("cannot count the files already handled", "err", err)
	}
	tick := time.NewTicker(w.o.Interval)
	defer tick.Stop()
	for {
		_, err := w.Scan(ctx)
		switch {
		case ctx.Err() != nil:
			return nil
		case err != nil && !w.failing:
			w.log.Error("scan stopped; files stay in place and the next scan retries", "err", err)
		case err == nil && w.failing:
			w.log.Info("scans succeed again")
		}
		w.failing = err != nil
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// Summary is what one scan did.
type Summary struct {
	Results map[string]int // files handled, by result (Result… constants)
	Waiting int            // files not complete yet, or left for the next scan
	Failed  int            // files that could not be read or published; they stay in place
}

// String formats the summary as "done=… malformed=… … waiting=… failed=…".
func (s Summary) String() string {
	var b strings.Builder
	for _, r := range Results() {
		fmt.Fprintf(&b, "%s=%d ", r, s.Results[r])
	}
	fmt.Fprintf(&b, "waiting=%d failed=%d", s.Waiting, s.Failed)
	return b.String()
}

// Scan handles every complete file under the folder once, in path order: each is published
// and, once the broker has acknowledged it, moved to .done/ (or to .rejected/ when it cannot
// be routed, or its content will be quarantined). It stops at the first publish the broker
// does not acknowledge, or when ctx is done, leaving the rest in place. A .done/ or
// .rejected/ that is a symbolic link fails the scan before anything is published.
func (w *Watcher) Scan(ctx context.Context) (Summary, error) {
	start := w.o.Now()
	sum := Summary{Results: map[string]int{}}
	root, err := os.OpenRoot(w.o.Dir)
	if err != nil {
		return sum, fmt.Errorf("scan %s: %w", w.o.Dir, err)
	}
	defer root.Close()
	mv := mover{root}
	if err := mv.checkHandled(); err != nil {
		return sum, err
	}
	files, err := list(w.o.Dir, func(p string, err error) { w.log.Warn("cannot read", "path", p, "err", err) })
	if err != nil {
		return sum, fmt.Errorf("scan %s: %w", w.o.Dir, err)
	}
	w.settle.retain(files)
	reg := w.o.Registry()
	for i, f := range files {
		if ctx.Err() != nil {
			sum.Waiting += len(files) - i
			break
		}
		if !w.settle.ready(f, w.o.Now()) {
			sum.Waiting++
			continue
		}
		res, err := w.handle(ctx, reg, mv, f)
		if err != nil {
			sum.Failed++
			sum.Waiting += len(files) - i - 1
			w.m.waiting.Set(float64(sum.Waiting + sum.Failed))
			return sum, err
		}
		switch res {
		case resultGone:
			w.settle.forget(f.rel)
			continue
		case resultChanged:
			sum.Waiting++
			continue
		case "":
			sum.Failed++
			continue
		}
		w.settle.forget(f.rel)
		sum.Results[res]++
		w.m.files.WithLabelValues(res).Inc()
	}
	end := w.o.Now()
	w.m.waiting.Set(float64(sum.Waiting + sum.Failed))
	w.m.lastScan.Set(float64(end.UnixMilli()) / 1e3)
	w.m.scanSeconds.Set(end.Sub(start).Seconds())
	return sum, ctx.Err()
}

// handle's results for a file left where it is, not counted in quantrac_tt10_files_total:
// removed before it was read or moved, or changed since the scan or the read (errChanged).
const (
	resultGone    = "gone"
	resultChanged = "changed"
)

// handle routes, checks, publishes and moves one file and returns its result. A result of ""
// leaves the file in place (it could not be read); an error stops the scan (the broker did not
// acknowledge, or a handled file could not be moved). Only the content read is published, and
// the file is moved only if it is still what was read; otherwise the next scan takes it again.
func (w *Watcher) handle(ctx context.Context, reg *quantrac.Registry, mv mover, f file) (string, error) {
	res, err := w.handleFile(ctx, reg, mv, f)
	switch {
	case errors.Is(err, errChanged):
		w.log.Warn("data file replaced or written to since it was scanned or read; left for the next scan", "file", f.rel, "err", err)
		return resultChanged, nil
	case errors.Is(err, fs.ErrNotExist):
		return resultGone, nil
	}
	return res, err
}

// handleFile is handle, returning errChanged and fs.ErrNotExist for handle to sort out.
func (w *Watcher) handleFile(ctx context.Context, reg *quantrac.Registry, mv mover, f file) (string, error) {
	st, name, rj := Resolve(reg, f.rel)
	var data []byte
	read := f.info // the state the file must keep until it is moved: as read, or as scanned when not read
	if rj == nil {
		var tooLarge bool
		var err error
		data, read, tooLarge, err = readScanned(mv.root, f.rel, f.info, w.o.MaxFileBytes)
		switch {
		case errors.Is(err, errChanged), errors.Is(err, fs.ErrNotExist):
			return "", err
		case err != nil:
			w.log.Warn("cannot read data file; retrying next scan", "file", f.rel, "err", err)
			return "", nil
		case tooLarge:
			rj = reject(ResultTooLarge, "larger than limits.max_payload_bytes (%d bytes)", w.o.MaxFileBytes)
		case len(data) == 0:
			rj = reject(ResultEmpty, "the file is empty (a failed upload?)")
		}
	}
	if rj != nil {
		w.log.Warn("data file rejected", "file", f.rel, "reason", rj.Reason, "err", rj.Detail)
		return rj.Reason, w.toRejected(mv, f.rel, read, rj, "")
	}
	verdict := w.check(st, data, w.o.Now())
	topic := w.topic(st)
	if err := w.publish(ctx, topic, data); err != nil {
		if ctx.Err() == nil {
			w.m.publishFails.Inc()
		}
		return "", fmt.Errorf("publish %s to %s: %w", f.rel, topic, err)
	}
	if verdict != nil {
		w.log.Warn("data file published; the ingester quarantines its content", "file", f.rel, "station", st.ID, "reason", verdict.Detail)
		return verdict.Reason, w.toRejected(mv, f.rel, read, verdict, topic)
	}
	if err := mv.move(f.rel, DoneDir, read); err != nil {
		return "", fmt.Errorf("move %s to %s: %w", f.rel, DoneDir, err)
	}
	w.checkSkew(st, name)
	w.comp.add(st, name.Time(st.TimeLocation()), w.res.Readings)
	w.log.Debug("data file published", "file", f.rel, "station", st.ID, "topic", topic, "readings", len(w.res.Readings))
	return ResultDone, nil
}

// check decodes the file as the ingester will (format detected from content, the same
// limits) and returns a Rejection when nothing of it will be accepted: Malformed when it
// cannot be decoded, Invalid when no reading is accepted. w.res keeps the readings.
func (w *Watcher) check(st *quantrac.Station, data []byte, now time.Time) *Rejection {
	w.res.Reset()
	if err := w.parser.Parse(payload.Auto, st, st.Kind, data, now, &w.res); err != nil {
		return reject(ResultMalformed, "%v", err)
	}
	if len(w.res.Readings) == 0 {
		detail := "no reading"
		if len(w.res.Rejected) > 0 {
			rj := w.res.Rejected[0]
			detail = fmt.Sprintf("no valid reading (%d rejected; first: %s %s: %s)", len(w.res.Rejected), rj.Reason, rj.Param, rj.Err)
		}
		return reject(ResultInvalid, "%s", detail)
	}
	return nil
}

// checkSkew warns, and counts, when the time in the name is more than MaxSkew from the times
// of the readings in w.res. Such a file is accepted: its records' own times are stored.
func (w *Watcher) checkSkew(st *quantrac.Station, name Name) {
	at := name.Time(st.TimeLocation())
	var skew time.Duration
	for _, r := range w.res.Readings {
		skew = max(skew, r.Time.Sub(at).Abs())
	}
	if skew > w.o.MaxSkew {
		w.m.skewed.WithLabelValues(st.ID).Inc()
		w.log.Warn("file name time differs from its records; accepted", "file", name.Base, "station", st.ID, "name_time", at, "skew", skew)
	}
}

// publish waits for the Rate, then publishes.
func (w *Watcher) publish(ctx context.Context, topic string, data []byte) error {
	if w.o.Rate > 0 {
		now := w.o.Now()
		if wait := w.next.Sub(now); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		} else {
			w.next = now
		}
		w.next = w.next.Add(time.Duration(float64(time.Second) / w.o.Rate))
	}
	return w.o.Publisher.Publish(ctx, topic, data)
}

// toRejected writes the reason file and moves the file to .rejected/, if it is still as read
// (errChanged otherwise). topic is where it was published, "" when it was not.
func (w *Watcher) toRejected(mv mover, rel string, read fs.FileInfo, rj *Rejection, topic string) error {
	if err := mv.unchanged(rel, read); err != nil {
		return err
	}
	if err := mv.writeReason(rel, reasonText(rel, rj, topic, w.o.Now())); err != nil {
		return fmt.Errorf("write reason of %s: %w", rel, err)
	}
	if err := mv.move(rel, RejectedDir, read); err != nil {
		return fmt.Errorf("move %s to %s: %w", rel, RejectedDir, err)
	}
	return nil
}

// reasonText is the content of a .reason file: what happened and what to do.
func reasonText(rel string, rj *Rejection, topic string, now time.Time) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "file: %s\nresult: %s\nerror: %s\ntime: %s\n", filepath.ToSlash(rel), rj.Reason, rj.Detail, now.UTC().Format(time.RFC3339))
	if topic != "" {
		fmt.Fprintf(&b, "published: yes, to %s; the ingester keeps it in InfluxDB measurement rejected_messages\n", topic)
	} else {
		b.WriteString("published: no\n")
	}
	b.WriteString("what to do: ")
	switch rj.Reason {
	case ResultBadName:
		b.WriteString("rename it <Province>_<Facility>_<Station>_yyyyMMddHHmmss.txt and move it back into the watched folder")
	case ResultUnknownStation, ResultAmbiguousName:
		b.WriteString("fix the station registry (ids and aliases), reload it (SIGHUP), then move the file back to its place in the watched folder")
	case ResultForbidden:
		b.WriteString("a station uploads only its own files, into its own folder; if the registry's ids or aliases are wrong, fix them, reload it (SIGHUP) and move the file back, otherwise keep the file as evidence")
	case ResultTooLarge:
		b.WriteString("split the file, or raise limits.max_payload_bytes, then move it back")
	case ResultEmpty:
		b.WriteString("the upload failed; ask the station to send the file again")
	default:
		b.WriteString("fix the cause, then run `quantrac replay -reason <reason>` for the quarantined message, or move a corrected file back")
	}
	b.WriteString("\n")
	return []byte(b.String())
}

// Seed counts the files already in .done/ whose name time lies in the completeness window,
// so that completeness survives a restart.
func (w *Watcher) Seed(ctx context.Context) error {
	root, err := os.OpenRoot(w.o.Dir)
	if err != nil {
		return err
	}
	defer root.Close()
	if err := (mover{root}).checkDir(DoneDir); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	files, err := list(filepath.Join(w.o.Dir, DoneDir), func(string, error) {})
	if err != nil {
		return err
	}
	reg := w.o.Registry()
	now := w.o.Now()
	from := now.Add(-CompletenessWindow - time.Hour)
	for _, f := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		st, name, rj := Resolve(reg, f.rel)
		if rj != nil || name.Time(st.TimeLocation()).Before(from) {
			continue
		}
		data, _, tooLarge, err := readScanned(root, filepath.Join(DoneDir, f.rel), f.info, w.o.MaxFileBytes)
		if err != nil || tooLarge || w.check(st, data, now) != nil {
			continue
		}
		w.comp.add(st, name.Time(st.TimeLocation()), w.res.Readings)
	}
	return nil
}

// Completeness returns each station's files and records over the trailing day.
func (w *Watcher) Completeness() map[string]Counts { return w.comp.snapshot() }
