package qc

// steady lists the parameters whose readings are legitimately steady for hours at the
// resolution analysers report them, so the flat-line check is off for them by default:
//
//   - ph: a buffered effluent or a neutralised discharge holds 7.0x for a shift;
//   - temp: water in a basin, or air at night under cloud, holds to 0.1 °C;
//   - rh: saturated air reads exactly 100 % through fog and rain;
//   - pressure: station pressure at 0.1 kPa changes by less in calm weather;
//   - o2: stack oxygen is held by the burner's control loop;
//   - wind_dir: a vane in calm air, or one set to hold its last direction, repeats it;
//   - ec, tds: conductivity of a steady effluent at 1 µS/cm (or its TDS derived from it).
var steady = []string{"ph", "temp", "rh", "pressure", "o2", "wind_dir", "ec", "tds"}

// defaultRow is a parameter's detection floor and spike threshold, in its canonical unit.
type defaultRow struct {
	id           string
	floor, spike float64
}

// defaultRows are engineering defaults, not values from a standard. Floors are about the
// lower detectable limit of common continuous analysers (a few ppb for gases, converted to
// µg/m³ at 25 °C; a few µg/m³ for particle monitors; the low end of on-line water
// analysers' ranges); below them a steady reading is the analyser's zero, not a fault. Spike
// thresholds are jumps that a 5-minute reading of ambient air or a treated effluent does not
// make and undo within 15 minutes: several times the parameter's usual hourly change, well
// under the regulatory limits' multiples that a real episode reaches (an episode stays, so it
// is no spike anyway). Flow, wind and the steady parameters have no spike check: pumps start
// and stop, gusts come and go. Operators tune both per parameter in the configuration.
var defaultRows = []defaultRow{
	{"pm25", 2, 150}, {"pm10", 3, 250}, {"pm1", 2, 150}, {"tsp", 5, 400}, {"dust", 5, 0},
	{"so2", 5, 300}, {"no2", 4, 250}, {"no", 3, 250}, {"nox", 4, 400}, {"co", 100, 6000},
	{"o3", 4, 200}, {"nh3", 4, 300}, {"h2s", 3, 150}, {"benzene", 1, 50}, {"hcl", 10, 0},
	{"hf", 5, 0}, {"hg", 0.01, 0}, {"pb", 0.01, 0},
	{"temp", 0, 8}, {"ph", 0, 2}, {"cod", 2, 150}, {"bod5", 2, 80}, {"tss", 2, 150},
	{"nh4_n", 0.05, 15}, {"tn", 0.5, 30}, {"tp", 0.05, 6}, {"toc", 1, 100}, {"do", 0.1, 5},
	{"no3_n", 0.1, 20}, {"po4_p", 0.05, 6}, {"turbidity", 0.5, 200}, {"color", 5, 200},
	{"cl", 0.05, 2}, {"rh", 0, 40},
}

// defaultParams builds the per-parameter defaults.
func defaultParams() map[string]ParamSettings {
	m := make(map[string]ParamSettings, len(defaultRows)+len(steady))
	for _, r := range defaultRows {
		m[r.id] = ParamSettings{Floor: r.floor, Spike: r.spike}
	}
	for _, id := range steady {
		p := m[id]
		p.Off = []Check{Flatline}
		m[id] = p
	}
	return m
}
