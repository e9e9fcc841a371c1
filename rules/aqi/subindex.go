package aqi

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/quantrac/quantrac/param"
)

// ErrNoIndex is wrapped by the errors of SubIndex when no index is defined: an unknown scheme
// or pollutant, a pollutant without a breakpoint column for that averaging period, or a
// concentration outside the column (US 8 h O3 above 0.200 ppm, VN 8 h O3 above 400 µg/m³, …).
var ErrNoIndex = errors.New("no index defined")

// truncTolerance absorbs binary floating-point error before US truncation: a concentration
// within 10⁻⁶ of its last kept digit below a step counts as that step, so that 75 ppb
// converted to µg/m³ and back truncates to 75, not 74.
const truncTolerance = 1e-6

// roundTolerance does the same for half-up rounding of index values.
const roundTolerance = 1e-9

// SubIndex returns the unrounded index of one pollutant (canonical id pm25, pm10, o3, no2,
// so2, co) for a concentration in µg/m³ averaged over period ("1h", "8h" or "24h"). For the
// hourly NowCast of PM pass the NowCast concentration with period "24h": both schemes index it
// on the 24 h column. For the US scheme, gases are converted to ppb or ppm at 25 °C and
// concentrations truncated before the lookup. Negative concentrations count as 0.
//
// The error wraps ErrNoIndex when the scheme has no index for that pollutant, period or
// concentration.
func SubIndex(s Scheme, p, period string, conc float64) (float64, error) {
	if !s.Valid() {
		return 0, fmt.Errorf("%w: unknown scheme %q (want vn or us)", ErrNoIndex, s)
	}
	if math.IsNaN(conc) || math.IsInf(conc, 0) {
		return 0, fmt.Errorf("%w: concentration %v", ErrNoIndex, conc)
	}
	t, ok := column(s, p, period)
	if !ok {
		if ps := periods(s, p); len(ps) > 0 {
			return 0, fmt.Errorf("%w: %s has no %s index over %s (periods: %s)",
				ErrNoIndex, s, p, period, strings.Join(ps, ", "))
		}
		return 0, fmt.Errorf("%w: %s has no index for %q", ErrNoIndex, s, p)
	}
	v, ok := t.index(p, conc)
	if !ok {
		c := fmt.Sprintf("%.4g µg/m³", conc)
		if cu, _ := toUnit(p, conc, t.unit); t.unit != ugm3 {
			c = fmt.Sprintf("%.4g %s (%s)", cu, t.unit, c)
		}
		return 0, fmt.Errorf("%w: %s %s over %s: %s is outside the column (%s): %s",
			ErrNoIndex, s, p, period, c, t.domain(), t.note)
	}
	return v, nil
}

// subIndex is SubIndex without the error values, for the Tracker.
func subIndex(s Scheme, p, period string, conc float64) (float64, bool) {
	t, ok := column(s, p, period)
	if !ok || math.IsNaN(conc) || math.IsInf(conc, 0) {
		return 0, false
	}
	return t.index(p, conc)
}

// index looks a concentration in µg/m³ up in the column.
func (t *table) index(p string, conc float64) (float64, bool) {
	c, ok := toUnit(p, max(conc, 0), t.unit)
	if !ok {
		return 0, false
	}
	scale := 1.0
	if t.decimals >= 0 {
		scale = math.Pow10(t.decimals)
		c = math.Floor(c*scale + truncTolerance) // in units of the last kept digit
	}
	// Breakpoints scaled to the same integer steps: comparisons are exact.
	bp := func(x float64) float64 {
		if t.decimals < 0 {
			return x
		}
		return math.Round(x * scale)
	}
	if c < bp(t.seg[0].lo) && t.below == undefined {
		return 0, false
	}
	for i := range t.n {
		sg := &t.seg[i]
		if c <= bp(sg.hi) {
			return lerp(sg, bp(sg.lo), bp(sg.hi), c), true
		}
	}
	last := &t.seg[t.n-1]
	switch t.above {
	case capped:
		return last.ihi, true
	case extrapolate:
		return lerp(last, bp(last.lo), bp(last.hi), c), true
	}
	return 0, false
}

// lerp is Equation 1 of both sources: Ip = (I_Hi − I_Lo)/(BP_Hi − BP_Lo) × (Cp − BP_Lo) + I_Lo.
func lerp(sg *segment, lo, hi, c float64) float64 {
	return (sg.ihi-sg.ilo)*(c-lo)/(hi-lo) + sg.ilo
}

// domain describes the concentrations a column covers, for error messages.
func (t *table) domain() string {
	lo, hi := t.seg[0].lo, t.seg[t.n-1].hi
	switch {
	case t.below == undefined && t.above == undefined:
		return fmt.Sprintf("%g–%g %s", lo, hi, t.unit)
	case t.below == undefined:
		return fmt.Sprintf("defined from %g %s", lo, t.unit)
	default:
		return fmt.Sprintf("defined up to %g %s", hi, t.unit)
	}
}

// toUnit converts a concentration in µg/m³ to the unit of a breakpoint column.
func toUnit(p string, conc float64, u unit) (float64, bool) {
	if u == ugm3 {
		return conc, true
	}
	prm, ok := param.Lookup(p)
	if !ok {
		return 0, false
	}
	v, err := prm.FromCanonical(conc, u.String())
	return v, err == nil
}

// Round rounds an index value half-up (x.5 goes up), the rule quantrac applies to both
// schemes: Decision 1459 only says "rounded to an integer", the TAD "round to the nearest
// integer". A tolerance of 10⁻⁹ keeps values such as 109.5, computed as 109.49999999999999,
// rounding up.
func Round(x float64) int {
	return int(math.Floor(x + 0.5 + roundTolerance))
}
