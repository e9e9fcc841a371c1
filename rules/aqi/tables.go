package aqi

// unit is the unit a breakpoint table is written in.
type unit uint8

const (
	ugm3 unit = iota // µg/m³
	ppb
	ppm
)

// String returns the unit as package param spells it.
func (u unit) String() string {
	switch u {
	case ppb:
		return "ppb"
	case ppm:
		return "ppm"
	}
	return "µg/m³"
}

// beyond says what a table does with a concentration outside its first or last segment.
type beyond uint8

const (
	undefined   beyond = iota // no index: another averaging period defines it
	capped                    // the end value of the scale (VN: 500 at and above the last breakpoint)
	extrapolate               // continue the last segment (US TAD, above 500)
)

// segment maps concentrations [lo, hi] linearly onto index values [ilo, ihi].
type segment struct{ lo, hi, ilo, ihi float64 }

// table is one column of a breakpoint table: the segments in ascending order, in unit. A US
// concentration is truncated to decimals places first; VN concentrations are not truncated
// (decimals < 0).
type table struct {
	unit     unit
	decimals int
	n        int // segments used
	seg      [7]segment
	below    beyond // concentrations below seg[0].lo: undefined, or capped (seg[0].lo is 0)
	above    beyond // concentrations above seg[n-1].hi
	note     string // where the index comes from outside the column, for error messages
}

// vnTable builds a VN_AQI column from the breakpoints BP1…BPk of Decision 1459 Table 2 (all in
// µg/m³). The breakpoints are continuous: level i runs from BPᵢ to BPᵢ₊₁ and maps onto
// Iᵢ…Iᵢ₊₁ with I = 0, 50, 100, 150, 200, 300, 400, 500.
func vnTable(above beyond, bp ...float64) table {
	levels := [8]float64{0, 50, 100, 150, 200, 300, 400, 500}
	t := table{unit: ugm3, decimals: -1, n: len(bp) - 1, below: capped, above: above}
	for i := range t.n {
		t.seg[i] = segment{bp[i], bp[i+1], levels[i], levels[i+1]}
	}
	return t
}

// vnColumn returns the Decision 1459 Table 2 column for a pollutant and averaging period.
//
// Source: Quyết định 1459/QĐ-TCMT ngày 12/11/2019, Hướng dẫn kỹ thuật tính toán và công bố chỉ
// số chất lượng không khí Việt Nam, mục 2.2.1.b, Bảng 2 "Các giá trị BPi đối với các thông số"
// (µg/m³), transcription checked cell by cell ([S07], rules/catalog/sources.yaml).
//
//	i   Ii   O3 1h  O3 8h   CO       SO2    NO2    PM10  PM2.5
//	1   0    0      0       0        0      0      0     0
//	2   50   160    100     10 000   125    100    50    25
//	3   100  200    120     30 000   350    200    150   50
//	4   150  300    170     45 000   550    700    250   80
//	5   200  400    210     60 000   800    1 200  350   150
//	6   300  800    400     90 000   1 600  2 350  420   250
//	7   400  1 000  -       120 000  2 100  3 100  500   350
//	8   500  ≥1 200 -       ≥150 000 ≥2 630 ≥3 850 ≥600  ≥500
//
// Periods: O3 has a 1 h and an 8 h column; SO2, NO2 and CO are indexed on 1 h means (the daily
// index uses the day's largest 1 h mean); PM10 and PM2.5 on 24 h means or the hourly NowCast
// (Công thức 2 uses the same column), which callers pass as "24h". The 8 h O3 column stops at
// 400 µg/m³: "Không tính toán AQI thông số O3 khi giá trị trung bình 8 giờ lớn nhất trong ngày
// cao hơn 400 µg/m³" (mục 2.2.2.b), so above it there is no 8 h index.
func vnColumn(param, period string) (table, bool) {
	switch {
	case param == "o3" && period == "1h":
		return vnTable(capped, 0, 160, 200, 300, 400, 800, 1000, 1200), true
	case param == "o3" && period == "8h":
		t := vnTable(undefined, 0, 100, 120, 170, 210, 400)
		t.note = "above 400 µg/m³ the daily O3 index uses the 1 h mean only"
		return t, true
	case param == "co" && period == "1h":
		return vnTable(capped, 0, 10000, 30000, 45000, 60000, 90000, 120000, 150000), true
	case param == "so2" && period == "1h":
		return vnTable(capped, 0, 125, 350, 550, 800, 1600, 2100, 2630), true
	case param == "no2" && period == "1h":
		return vnTable(capped, 0, 100, 200, 700, 1200, 2350, 3100, 3850), true
	case param == "pm10" && period == "24h":
		return vnTable(capped, 0, 50, 150, 250, 350, 420, 500, 600), true
	case param == "pm25" && period == "24h":
		return vnTable(capped, 0, 25, 50, 80, 150, 250, 350, 500), true
	}
	return table{}, false
}

// usTable builds a US column from rows {BP_lo, BP_hi, I_lo, I_hi} in unit, truncated to
// decimals.
func usTable(u unit, decimals int, below, above beyond, note string, rows ...segment) table {
	t := table{unit: u, decimals: decimals, n: len(rows), below: below, above: above, note: note}
	copy(t.seg[:], rows)
	return t
}

// usColumn returns the US EPA breakpoint column for a pollutant and averaging period.
//
// Sources: 40 CFR 58 Appendix G, Table 2 "Breakpoints for the AQI", as amended by the PM NAAQS
// final rule of February 2024 (in force 6 May 2024), and the EPA Technical Assistance Document
// for the Reporting of Daily Air Quality – the AQI (TAD, 2024 edition); values cross-checked
// against [S13], [S14], [S17], [S18] (rules/catalog/sources.yaml). 2024 changes: PM2.5 Good
// 0.0–9.0 and Moderate from 9.1, Unhealthy to 125.4, and the two Hazardous bands merged into
// one, 301–500, whose top is 325.4 µg/m³ for PM2.5 (604 PM10, 50.4 ppm CO, 1004 ppb SO2, 2049
// ppb NO2, 0.604 ppm O3).
//
//	AQI      O3 8h ppm    O3 1h ppm    PM2.5 24h    PM10 24h  CO 8h ppm   SO2 ppb        NO2 1h ppb
//	0–50     0.000–0.054  -            0.0–9.0      0–54      0.0–4.4     0–35 (1h)      0–53
//	51–100   0.055–0.070  -            9.1–35.4     55–154    4.5–9.4     36–75 (1h)     54–100
//	101–150  0.071–0.085  0.125–0.164  35.5–55.4    155–254   9.5–12.4    76–185 (1h)    101–360
//	151–200  0.086–0.105  0.165–0.204  55.5–125.4   255–354   12.5–15.4   186–304 (1h)   361–649
//	201–300  0.106–0.200  0.205–0.404  125.5–225.4  355–424   15.5–30.4   305–604 (24h)  650–1249
//	301–500  -            0.405–0.604  225.5–325.4  425–604   30.5–50.4   605–1004 (24h) 1250–2049
//
// Table footnotes (TAD): 8 h O3 values do not define AQI values of 301 or higher, which come
// from 1 h O3; 1 h O3 is used where it is more precautionary than 8 h, and the larger of the
// two is reported. 1 h SO2 values do not define AQI values of 200 or greater, which come from
// 24 h SO2. Truncation (TAD step 1): O3 ppm to 3 decimals, PM2.5 to 1, PM10 to an integer, CO
// ppm to 1 decimal, SO2 and NO2 ppb to integers.
func usColumn(param, period string) (table, bool) {
	switch {
	case param == "o3" && period == "8h":
		return usTable(ppm, 3, capped, undefined, "AQI values above 300 come from 1 h O3",
			segment{0.000, 0.054, 0, 50}, segment{0.055, 0.070, 51, 100}, segment{0.071, 0.085, 101, 150},
			segment{0.086, 0.105, 151, 200}, segment{0.106, 0.200, 201, 300}), true
	case param == "o3" && period == "1h":
		return usTable(ppm, 3, undefined, extrapolate, "below 0.125 ppm the AQI comes from 8 h O3",
			segment{0.125, 0.164, 101, 150}, segment{0.165, 0.204, 151, 200},
			segment{0.205, 0.404, 201, 300}, segment{0.405, 0.604, 301, 500}), true
	case param == "pm25" && period == "24h":
		return usTable(ugm3, 1, capped, extrapolate, "",
			segment{0.0, 9.0, 0, 50}, segment{9.1, 35.4, 51, 100}, segment{35.5, 55.4, 101, 150},
			segment{55.5, 125.4, 151, 200}, segment{125.5, 225.4, 201, 300}, segment{225.5, 325.4, 301, 500}), true
	case param == "pm10" && period == "24h":
		return usTable(ugm3, 0, capped, extrapolate, "",
			segment{0, 54, 0, 50}, segment{55, 154, 51, 100}, segment{155, 254, 101, 150},
			segment{255, 354, 151, 200}, segment{355, 424, 201, 300}, segment{425, 604, 301, 500}), true
	case param == "co" && period == "8h":
		return usTable(ppm, 1, capped, extrapolate, "",
			segment{0.0, 4.4, 0, 50}, segment{4.5, 9.4, 51, 100}, segment{9.5, 12.4, 101, 150},
			segment{12.5, 15.4, 151, 200}, segment{15.5, 30.4, 201, 300}, segment{30.5, 50.4, 301, 500}), true
	case param == "so2" && period == "1h":
		return usTable(ppb, 0, capped, undefined, "AQI values of 200 or more come from 24 h SO2",
			segment{0, 35, 0, 50}, segment{36, 75, 51, 100}, segment{76, 185, 101, 150},
			segment{186, 304, 151, 200}), true
	case param == "so2" && period == "24h":
		return usTable(ppb, 0, undefined, extrapolate, "below 305 ppb the AQI comes from 1 h SO2",
			segment{305, 604, 201, 300}, segment{605, 1004, 301, 500}), true
	case param == "no2" && period == "1h":
		return usTable(ppb, 0, capped, extrapolate, "",
			segment{0, 53, 0, 50}, segment{54, 100, 51, 100}, segment{101, 360, 101, 150},
			segment{361, 649, 151, 200}, segment{650, 1249, 201, 300}, segment{1250, 2049, 301, 500}), true
	}
	return table{}, false
}

// column returns the breakpoint column of a scheme for a pollutant and averaging period.
func column(s Scheme, param, period string) (table, bool) {
	switch s {
	case VN:
		return vnColumn(param, period)
	case US:
		return usColumn(param, period)
	}
	return table{}, false
}

// periods lists the averaging periods that have a column, for error messages.
func periods(s Scheme, param string) []string {
	var out []string
	for _, p := range []string{"1h", "8h", "24h"} {
		if _, ok := column(s, param, p); ok {
			out = append(out, p)
		}
	}
	return out
}
