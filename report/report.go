package report

import (
	"errors"
	"fmt"
	"time"

	"github.com/quantrac/quantrac"
)

// Errors of Build the caller can tell apart.
var (
	ErrUnknownStation  = errors.New("unknown station")       // the registry does not hold it
	ErrMonthNotStarted = errors.New("month has not started") // a future month
)

// Month is a calendar month.
type Month struct {
	Year  int
	Month time.Month
}

// The years a report may cover. InfluxDB stores times as nanoseconds since 1970 in an int64:
// before 1970 nothing was measured and times wrap around, after 2262 none can be stored.
const (
	FirstYear = 1970
	LastYear  = 2200
)

// ParseMonth parses "YYYY-MM", a month of the years FirstYear to LastYear.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("month %q: want YYYY-MM, e.g. 2026-11", s)
	}
	if t.Year() < FirstYear || t.Year() > LastYear {
		return Month{}, fmt.Errorf("month %q: want a month between %d and %d", s, FirstYear, LastYear)
	}
	return Month{t.Year(), t.Month()}, nil
}

// String returns "YYYY-MM".
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, int(m.Month)) }

// Bounds returns the month's start and the next month's start in loc: the hours of the month
// are those ending in (start, end].
func (m Month) Bounds(loc *time.Location) (start, end time.Time) {
	start = time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, loc)
	return start, start.AddDate(0, 1, 0)
}

// Previous returns the month before m.
func (m Month) Previous() Month {
	t := time.Date(m.Year, m.Month-1, 1, 0, 0, 0, 0, time.UTC)
	return Month{t.Year(), t.Month()}
}

// MonthOf returns the month of t in loc.
func MonthOf(t time.Time, loc *time.Location) Month {
	l := t.In(loc)
	return Month{l.Year(), l.Month()}
}

// Report is the monthly compliance report of one or all stations.
type Report struct {
	Month       string     `json:"month"`
	GeneratedAt time.Time  `json:"generated_at"`
	Provisional bool       `json:"provisional"` // the month is still running
	DataLayer   string     `json:"data_layer"`
	Definitions []string   `json:"definitions"`
	Provinces   []Province `json:"provinces"`
	Stations    []Station  `json:"stations"`
}

// Station is the report of one station.
type Station struct {
	ID              string                `json:"id"`
	Name            string                `json:"name"`
	Kind            quantrac.Kind         `json:"kind"`
	Province        string                `json:"province,omitempty"`
	Timezone        string                `json:"timezone"`
	From            time.Time             `json:"from"` // hours ending in (from, to]
	To              time.Time             `json:"to"`
	ReadingsPerHour int                   `json:"readings_per_hour"`
	Parameters      []Capture             `json:"parameters"`
	Limits          []Exceedance          `json:"limits"`
	Violations      []quantrac.Transition `json:"violations"`
	Maintenance     []Maintenance         `json:"maintenance"`
	// Approvals are the station's approvals of the month, withdrawn ones too, oldest first;
	// Approved is the latest active one (nil: the month is not approved). QCSpans are the
	// data-quality spans with a reading instant in the month, active and revoked, by From;
	// SpansAfterApproval counts those created or revoked after Approved.
	Approvals          []quantrac.Approval `json:"approvals"`
	Approved           *quantrac.Approval  `json:"approved"`
	QCSpans            []Span              `json:"qc_spans"`
	SpansAfterApproval int                 `json:"spans_after_approval"`
	// Verdict is "met" (no violation of a binding limit in force during the month, every
	// parameter with a binding limit at least CaptureThreshold hourly capture), "not_met" (a
	// violation of a binding limit) or "insufficient_data". Reference limits (a guideline,
	// another country's standard) do not enter it (rules/README.md, "Force and words").
	Verdict string   `json:"verdict"`
	Queries []string `json:"queries"` // the InfluxQL statements behind the numbers
}

// Capture is the data capture of one parameter over the month.
type Capture struct {
	Parameter     string  `json:"parameter"`
	Unit          string  `json:"unit"`
	Hours         int     `json:"hours"` // clock hours of the month (so far)
	ExpectedHours int     `json:"expected_hours"`
	ValidHours    int     `json:"valid_hours"`
	ExcludedHours int     `json:"excluded_hours"`
	HourCapture   float64 `json:"hour_capture_percent"`
	Days          int     `json:"days"`
	ExpectedDays  int     `json:"expected_days"`
	ValidDays     int     `json:"valid_days"`
	ExcludedDays  int     `json:"excluded_days"`
	DayCapture    float64 `json:"day_capture_percent"`
	// Readings: expected (1 h ÷ interval per hour, less excluded), valid, excluded for
	// calibration or maintenance, and flagged otherwise (device fault, other codes).
	ReadingsExpected int `json:"readings_expected"`
	ReadingsValid    int `json:"readings_valid"`
	ReadingsExcluded int `json:"readings_excluded"`
	ReadingsFlagged  int `json:"readings_flagged"`
	// ReadingsInvalid are the readings data-quality spans made invalid, left out of every
	// number above (counted as missing): by an automatic check (ReadingsInvalidAuto) or by an
	// inspector (ReadingsInvalidUser), as the newest invalidate span covering each says.
	ReadingsInvalid     int `json:"readings_invalid"`
	ReadingsInvalidAuto int `json:"readings_invalid_auto"`
	ReadingsInvalidUser int `json:"readings_invalid_user"`
}

// Exceedance is one limit of the station over the month.
type Exceedance struct {
	Regulation string   `json:"regulation"`
	Force      string   `json:"force"` // rules.ForceBinding or rules.ForceReference for the station
	Parameter  string   `json:"parameter"`
	Period     string   `json:"period"`
	Unit       string   `json:"unit"`
	Min        *float64 `json:"min,omitempty"` // in force at the month's end
	Max        *float64 `json:"max,omitempty"`
	// Started counts the violations that started in the month (violations measurement).
	Started int `json:"violations_started"`
	// InForceAtStart is true when a violation had started before the month and not ended.
	InForceAtStart bool `json:"in_force_at_start"`
	// Allowed is the exceeding hours or days a calendar year allows (0: none).
	Allowed int `json:"allowed_per_year"`
	// YearToDate is the engine's count of this year's exceeding hours or days, given only
	// for limits with an allowance when the month is the current one.
	YearToDate *int `json:"exceedances_year_to_date,omitempty"`
}

// Maintenance is a registry maintenance window that overlaps the month.
type Maintenance struct {
	From   time.Time `json:"from"`
	Until  time.Time `json:"until"`
	Reason string    `json:"reason"`
}

// Province holds the indicators of one province (registry tag "province").
type Province struct {
	Name       string    `json:"name"`
	Wastewater Indicator `json:"wastewater_within_limits"`
	Air        Indicator `json:"air_within_qcvn_05_2023"`
	// Network data capture: valid hours ÷ expected hours over every parameter of every station.
	ExpectedHours int      `json:"expected_hours"`
	ValidHours    int      `json:"valid_hours"`
	Capture       float64  `json:"capture_percent"`
	Stations      []string `json:"stations"`
}

// Indicator is a share of stations and the stations behind it.
type Indicator struct {
	Met          []string `json:"met"`
	NotMet       []string `json:"not_met"`
	Insufficient []string `json:"insufficient_data"`
	Percent      float64  `json:"percent"` // met ÷ all stations counted, 0 when none
}

// Verdicts of a station.
const (
	VerdictMet          = "met"
	VerdictNotMet       = "not_met"
	VerdictInsufficient = "insufficient_data"
)

// CaptureThreshold is the hourly data capture a parameter needs for the station's month to be
// judged on valid data: 80 %, the reporting cut-off of the EOS/Envisoft software provinces
// use (README, "The monthly compliance report"); no legal figure was found.
const CaptureThreshold = 80.0

// ValidDayHours is the valid hours a day needs (rules/README.md, "Evaluation").
const ValidDayHours = 18

// DataLayer says which data the report uses.
const DataLayer = "valid_automatic: readings with status 00 outside maintenance windows, as stored in <kind>, " +
	"less those an active invalidate span of qc_spans covers (automatic checks and inspectors); " +
	"calibration (01) and maintenance readings from <kind>_flagged are excluded from what is expected; " +
	"exceedances from the violations measurement written by the rules engine; approvals from the approvals measurement"

// definitions are the rules the numbers follow, stated in the report.
func definitions() []string {
	return []string{
		"hour: clock hour of the station's local time labelled by its end, covering (end-1h, end]",
		"hour expected readings: 1 h / station interval, less the readings in calibration (status 01) or maintenance",
		"valid hour: valid readings >= 75 % of the hour's expected readings; an hour with none expected is excluded",
		"valid day: >= 18 valid hours (local calendar day, hours ending 01:00 to 24:00); a day with fewer than 18 hours left after excluded hours is excluded",
		"capture: valid / expected x 100",
		"invalid reading: one an active invalidate span of qc_spans covers and no newer validate span; it counts in no number of the report (capture counts it as missing); by whom: the source (auto or user) of the newest invalidate span covering it",
		"approved month: the latest approval of the month not withdrawn; spans created or revoked after it are marked",
		"readings and exceedance points carry no arrival time in InfluxDB: the report cannot tell which readings arrived or changed after approval, only the spans; compare with a report saved at approval",
		fmt.Sprintf("station met its limits: no exceedance of a binding limit (the station's national standards and permit) in force during the month and every parameter with a binding limit at hourly capture >= %.0f %%", CaptureThreshold),
		"reference level: a guideline (WHO) or another country's standard; its exceedances are listed apart and do not enter the verdict or the province indicators",
	}
}

func percent(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) * 100 / float64(d)
}
