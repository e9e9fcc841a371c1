// Package aqi computes air-quality indices from station data: Vietnam's VN_AQI (Decision
// 1459/QĐ-TCMT of 12 November 2019) and the US EPA AQI (40 CFR 58 Appendix G with the PM2.5
// revision in force from 6 May 2024, and the EPA Technical Assistance Document, TAD).
//
// Every concentration enters in µg/m³, the canonical unit of the ingester, CO included. The US
// tables are in ppb or ppm for gases; SubIndex converts at 25 °C and 1 atm (µg/m³ = ppb × M /
// 24.45) through package param.
//
//	readings ──Tracker.Observe──> hourly means (56 clock hours per pollutant)
//	                                   │
//	           Tracker.Hourly ─────────┼── PM: NowCast of the last 12 hourly means
//	           Tracker.Daily  ─────────┘   gases: 1 h means, 8 h and 24 h means, daily maxima
//	                                   │
//	                                SubIndex (breakpoint table, linear interpolation)
//	                                   │
//	                                Index{Value = max sub-index, Category, Dominant, Sub}
//
// # Decisions where the sources leave a choice
//
// Decision 1459 (VN_AQI):
//
//   - NowCast is normalised in both of its cases, Σ wⁱ⁻¹cᵢ / Σ wⁱ⁻¹ over the hours present, as
//     the US EPA does. The Decision prints the w = 1/2 case as Σ (1/2)ⁱcᵢ without dividing by
//     the weights: with all 12 hours present that is the normalised value × 0.99976, but with a
//     missing hour it under-estimates badly, which cannot be the intent of "a missing cᵢ gets
//     weight 0".
//   - Rounding is half-up (x.5 goes up), the Decision saying only "rounded to an integer".
//     Sub-indices are rounded one by one, and the index is the largest of them.
//   - Concentrations at or above the last breakpoint (printed "≥1 200", "≥500", …) get 500:
//     the Decision's scale ends there and its last row assigns 500 to every concentration
//     "≥" the breakpoint. Nothing is extrapolated.
//   - The worked example of section 2.3 prints AQI(NO₂) = 60 for 118.7 µg/m³, but
//     (118.7 − 100) × 50/100 + 50 = 59.35, which rounds to 59, so its AQIʰ is 59, not the
//     printed 60. The tests expect 59. The other printed values (NowCast 20.3, O₃ 43, PM2.5
//     41, and the daily 45, 36, 65, 110) are reproduced exactly.
//   - Hourly means are labelled by the end of the hour (01:00 is 00:00–01:00), so the day of
//     "01:00 to 00:00 the next day" is the local calendar day, midnight to midnight.
//
// US EPA AQI:
//
//   - Concentrations are truncated as the TAD says (O₃ 0.001 ppm, PM2.5 0.1 µg/m³, PM10
//     1 µg/m³, CO 0.1 ppm, SO₂ and NO₂ 1 ppb) after conversion, with a tolerance of 10⁻⁶
//     of the last digit so that 75 ppb converted to µg/m³ and back is 75, not 74.
//   - Above the top breakpoint the Hazardous segment is extrapolated, as the TAD says ("AQI
//     values greater than 500 should be calculated using [the equation] and the concentration
//     specified for the AQI value of 500"). The category stays
//     Hazardous.
//   - Where a table stops short of the scale, SubIndex returns ErrNoIndex: 8 h O₃ above
//     0.200 ppm and 1 h O₃ below 0.125 ppm, 1 h SO₂ at or above 305 ppb and 24 h SO₂ below
//     305 ppb.
//
// Both schemes:
//
//   - An hourly mean is the mean of the valid readings in one local clock hour
//     [h:00, h+1:00), however many there are unless Tracker.MinPerHour asks for more; no
//     Vietnamese rule sets a minimum.
//   - An 8 h mean needs 6 of its 8 hourly means and a 24 h mean 18 of its 24 (75 %, the
//     EPA's completeness rule and quantrac's default data capture, rules/README.md); the
//     Decision sets none.
//   - Negative concentrations (instrument noise around zero) count as 0.
//
// The README beside this file lists which averages feed each pollutant's hourly and daily
// sub-index, with the reason for each choice.
package aqi
