package aqi

import "math"

// nowcastHours is the number of hourly means NowCast weighs.
const nowcastHours = 12

// NowCast returns the NowCast concentration of PM10 or PM2.5 from up to 12 hourly means,
// hourly[0] being the most recent complete hour (c1) and hourly[11] the hour 11 hours before
// it (c12). A NaN (or infinite) value marks a missing hour; values beyond the twelfth are
// ignored. ok is false when fewer than 2 of the 3 most recent hours are present.
//
// The weight factor is w* = Cmin/Cmax over the hours present and w = max(w*, 1/2); the NowCast
// is Σ wⁱ⁻¹·cᵢ / Σ wⁱ⁻¹ over the hours present, a missing hour getting weight 0. Sources:
// Decision 1459/QĐ-TCMT mục 2.2.1.a; EPA "PM NowCast" fact sheet. Decision 1459 prints the
// w = 1/2 case without the division by Σ wⁱ⁻¹; quantrac normalises both cases as the EPA does
// (see the package documentation).
func NowCast(hourly []float64) (float64, bool) {
	h := hourly[:min(len(hourly), nowcastHours)]
	recent := 0
	for _, c := range h[:min(len(h), 3)] {
		if present(c) {
			recent++
		}
	}
	if recent < 2 {
		return 0, false
	}
	cmin, cmax := math.Inf(1), math.Inf(-1)
	for _, c := range h {
		if present(c) {
			cmin, cmax = min(cmin, c), max(cmax, c)
		}
	}
	if cmin == cmax {
		return cmin, true // constant: exactly the concentration, with no rounding error
	}
	w := 0.5
	if cmax > 0 && cmin/cmax > w {
		w = cmin / cmax
	}
	var num, den float64
	f := 1.0 // w^(i-1)
	for _, c := range h {
		if present(c) {
			num += f * c
			den += f
		}
		f *= w
	}
	return num / den, true
}

// present reports whether an hourly mean is there: not NaN and not infinite.
func present(c float64) bool { return !math.IsNaN(c) && !math.IsInf(c, 0) }
