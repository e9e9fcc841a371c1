package rules

import (
	"bufio"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"hash/fnv"
	"io"
	"math"
)

// Year figures (rules/README.md, "Start"): a station's yearly and counted limits fold the
// units — hours or days — that leave the hour ring into running sums per calendar year
// (yearly.go). Rebuilding those sums from InfluxDB means reading every hour of up to three
// years, which takes minutes for a network of a thousand stations. So the engine saves them
// (SaveFigures) and a start takes them back (LoadFigures): the rebuild then reads only the
// hours from where the saved sums stop. The saved figures are a cache of what the stored
// readings gave, never a record: a station whose figures do not match is read back in full —
//
//   - its limits, coefficients, zone or interval changed (a fingerprint of each limit), or the
//     engine folds differently (figuresVersion);
//   - InfluxDB holds no reading as new as the newest one the figures had seen (a restore from
//     an older backup, a lost write);
//   - it was waiting to be re-judged, or had messages not yet settled, when they were saved
//     (it is not saved);
//   - a late reading changed its stored past after they were saved: the station is marked
//     stale and re-judged from the stored readings, years included (rejudge.go).

// figuresVersion names how the engine folds units into year figures: change it whenever
// fold, unitResult or dvDay change what the sums hold, so that saved figures are not taken.
const figuresVersion = 1

const figuresMagic = "quantrac year figures\n"

// savedStation is one station's saved figures.
type savedStation struct {
	fp    uint64
	valid int64 // the newest valid reading the figures had seen (Unix ns)
	from  int64 // the first hour end the rebuild must read for the units not folded
	rules []savedRule
}

// savedRule is one limit's yearState without its cached figures.
type savedRule struct {
	folded int64
	acc    [maxYears]yearAcc
	dv     *dvState
}

// SaveFigures writes the year figures of the stations whose state is settled — rebuilt, not
// waiting to be re-judged, every message observed settled by the store — and that have a yearly
// or counted limit. It returns the stations written.
func (e *Engine) SaveFigures(w io.Writer) (int, error) {
	bw := bufio.NewWriter(w)
	crc := crc32.NewIEEE()
	out := io.MultiWriter(bw, crc)
	buf := binary.LittleEndian.AppendUint32([]byte(figuresMagic), figuresVersion)
	if _, err := out.Write(buf); err != nil {
		return 0, err
	}
	e.mu.RLock()
	order := e.order
	e.mu.RUnlock()
	n := 0
	for _, s := range order {
		s.mu.Lock()
		buf = s.appendFigures(buf[:0])
		s.mu.Unlock()
		if len(buf) == 0 {
			continue
		}
		if _, err := out.Write(buf); err != nil {
			return n, err
		}
		n++
	}
	buf = binary.AppendUvarint(buf[:0], 0) // the end: an empty station id
	buf = binary.LittleEndian.AppendUint32(buf, 0)
	if _, err := out.Write(buf); err != nil {
		return n, err
	}
	if err := binary.Write(bw, binary.LittleEndian, crc.Sum32()); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// appendFigures appends the station's saved figures, or nothing when it has none to save.
func (s *stationState) appendFigures(b []byte) []byte {
	if !s.known || s.stale || s.observed != s.settled || s.valid == 0 {
		return b
	}
	from, held := s.figuresFrom()
	if !held {
		return b
	}
	b = binary.AppendUvarint(b, uint64(len(s.st.ID)))
	b = append(b, s.st.ID...)
	b = binary.LittleEndian.AppendUint32(b, 1) // a record of a station (room for others)
	b = binary.LittleEndian.AppendUint64(b, s.fingerprint())
	b = binary.AppendVarint(b, s.valid)
	b = binary.AppendVarint(b, from)
	b = binary.AppendUvarint(b, uint64(s.yearStates()))
	for _, ser := range s.order {
		for i := range ser.rules {
			if ys := ser.rules[i].yr; ys != nil {
				b = ys.appendTo(b)
			}
		}
	}
	return b
}

// figuresFrom returns the end of the first hour a rebuild must read to fold the units the
// figures have not: the oldest hour the rings hold, less the 8 h a day's running means read
// before it. held is false when the station holds no hours (nothing worth saving).
func (s *stationState) figuresFrom() (from int64, held bool) {
	from = math.MaxInt64
	for _, ser := range s.order {
		if ser.h == nil || ser.h.head == 0 || !hasYears(ser) {
			continue
		}
		from, held = min(from, s.cal.end(ser.h.head-ringHours+1)-rejudgeLead.Nanoseconds()), true
	}
	return from, held
}

func hasYears(ser *series) bool {
	for i := range ser.rules {
		if ser.rules[i].yr != nil {
			return true
		}
	}
	return false
}

func (ys *yearState) appendTo(b []byte) []byte {
	b = binary.AppendVarint(b, ys.folded)
	for _, a := range ys.acc {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(a.sum))
		b = binary.AppendVarint(b, int64(a.year))
		b = binary.AppendVarint(b, int64(a.n))
		b = binary.AppendVarint(b, int64(a.exc))
	}
	if ys.dv == nil {
		return append(b, 0)
	}
	b = append(b, 1)
	for _, y := range ys.dv.years {
		b = binary.AppendVarint(b, int64(y.year))
		for _, d := range y.days {
			b = binary.AppendVarint(b, int64(d))
		}
		b = binary.AppendVarint(b, int64(y.exc))
		b = binary.AppendUvarint(b, uint64(y.n))
		for _, v := range y.top[:y.n] {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v.v))
			b = binary.AppendVarint(b, v.at)
		}
	}
	return b
}

// fingerprint identifies what the station's year figures depend on: its zone and interval,
// and each yearly or counted limit with its versions, coefficients and hour coverage.
func (s *stationState) fingerprint() uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d %s %d %d\n", figuresVersion, s.cal.loc, s.cal.sub, s.interval)
	for _, ser := range s.order {
		for i := range ser.rules {
			rs := &ser.rules[i]
			if rs.yr == nil {
				continue
			}
			r := rs.rule
			spec, _ := json.Marshal(struct {
				Reg, Param, Period    string
				Stat                  Statistic
				Kind                  periodKind
				Span                  int64
				Years                 int
				Counted, Days         bool
				Factor                float64
				HourMin               int16
				Versions              []*Limit
				Design                *DesignValue
				AnnualOfDays, HourCov any
			}{r.reg.ID, ser.param, r.period, r.stat, r.kind, r.span, r.years, r.counted, rs.yr.unitDays,
				rs.factor, rs.hourMin, r.versions, r.design, r.reg.AnnualOfDays, r.reg.HourCoverage})
			h.Write(spec)
		}
	}
	return h.Sum64()
}

// LoadFigures reads figures SaveFigures wrote, for the next Rebuild to take: each station
// whose fingerprint still matches is rebuilt from where its figures stop (the others, and
// those Rebuild finds InfluxDB behind, read their years back). A damaged or foreign file is an
// error and nothing is taken. It returns the stations read.
func (e *Engine) LoadFigures(r io.Reader) (int, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return 0, err
	}
	saved, err := decodeFigures(data)
	if err != nil {
		return 0, err
	}
	e.mu.Lock()
	e.figures = saved
	e.mu.Unlock()
	return len(saved), nil
}

var errFigures = errors.New("rules: year figures: damaged or not a figures file")

func decodeFigures(data []byte) (map[string]*savedStation, error) {
	if len(data) < len(figuresMagic)+8 || string(data[:len(figuresMagic)]) != figuresMagic {
		return nil, errFigures
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if crc32.ChecksumIEEE(body) != sum {
		return nil, errFigures
	}
	d := &figReader{b: body[len(figuresMagic):]}
	if v := d.u32(); v != figuresVersion {
		return map[string]*savedStation{}, nil // folded differently: every station reads back
	}
	out := map[string]*savedStation{}
	for {
		id := string(d.bytes(int(d.uvarint())))
		if d.u32() == 0 || d.err != nil {
			break
		}
		st := &savedStation{fp: d.u64(), valid: d.varint(), from: d.varint()}
		st.rules = d.rules()
		if d.err != nil {
			break
		}
		out[id] = st
	}
	if d.err != nil || len(d.b) != 0 {
		return nil, errFigures
	}
	return out, nil
}

// rules reads the yearStates that follow a station's header, their number first.
func (d *figReader) rules() []savedRule {
	n := int(d.uvarint())
	out := make([]savedRule, 0, n)
	for range n {
		var r savedRule
		r.folded = d.varint()
		for i := range r.acc {
			r.acc[i] = yearAcc{sum: math.Float64frombits(d.u64()), year: int32(d.varint()), n: int32(d.varint()), exc: int32(d.varint())}
		}
		if d.byte() == 1 {
			r.dv = new(dvState)
			for i := range r.dv.years {
				y := &r.dv.years[i]
				y.year = int32(d.varint())
				for j := range y.days {
					y.days[j] = int16(d.varint())
				}
				y.exc = int16(d.varint())
				y.n = int32(min(d.uvarint(), dvTop))
				for j := range y.top[:y.n] {
					y.top[j] = dvValue{v: math.Float64frombits(d.u64()), at: d.varint()}
				}
			}
		}
		out = append(out, r)
	}
	return out
}

// figReader decodes a figures file; the first error sticks.
type figReader struct {
	b   []byte
	err error
}

func (d *figReader) need(n int) bool {
	if d.err == nil && (n < 0 || len(d.b) < n) {
		d.err = errFigures
	}
	return d.err == nil
}

func (d *figReader) bytes(n int) []byte {
	if !d.need(n) {
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *figReader) byte() byte {
	if b := d.bytes(1); b != nil {
		return b[0]
	}
	return 0
}

func (d *figReader) u32() uint32 {
	if b := d.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (d *figReader) u64() uint64 {
	if b := d.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (d *figReader) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errFigures
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *figReader) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errFigures
		return 0
	}
	d.b = d.b[n:]
	return v
}

// takeFigures gives fresh, the new state of a station being rebuilt, the figures saved for it
// when they match, and forgets them: they serve the first rebuild only.
func (e *Engine) takeFigures(fresh *stationState) {
	e.mu.Lock()
	saved := e.figures[fresh.st.ID]
	delete(e.figures, fresh.st.ID)
	e.mu.Unlock()
	if saved == nil || saved.fp != fresh.fingerprint() {
		return
	}
	var yss []*yearState
	for _, ser := range fresh.order {
		for i := range ser.rules {
			if ys := ser.rules[i].yr; ys != nil {
				yss = append(yss, ys)
			}
		}
	}
	if len(yss) != len(saved.rules) {
		return
	}
	for i, ys := range yss {
		if (ys.dv == nil) != (saved.rules[i].dv == nil) {
			return
		}
	}
	for i, ys := range yss {
		r := &saved.rules[i]
		ys.folded, ys.acc, ys.dv = r.folded, r.acc, r.dv
	}
	fresh.figFrom, fresh.figValid = saved.from, saved.valid
}

// yearStates counts the station's limits that keep year figures.
func (s *stationState) yearStates() int {
	n := 0
	for _, ser := range s.order {
		for i := range ser.rules {
			if ser.rules[i].yr != nil {
				n++
			}
		}
	}
	return n
}

// dropFigures forgets the figures of a station that InfluxDB turned out to be behind: it is
// rebuilt from its years.
func (s *stationState) dropFigures(cat *Catalog) {
	fresh := newStationState(s.st, cat)
	fresh.observed, fresh.settled = s.observed, s.settled
	s.stationData = fresh.stationData
}

// usesFigures reports whether the station's rebuild takes saved figures.
func (s *stationState) usesFigures() bool { return s.figFrom != 0 }
