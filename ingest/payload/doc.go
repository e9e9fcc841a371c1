// Package payload turns the bytes of one station message into validated readings.
//
//	payload ──Detect──> Format ──decoder──> candidates ──validate──> Result.Readings
//	                     json     native JSON object / backlog array      └──> Result.Rejected
//	                     senml    SenML JSON (RFC 8428)                        (reason per reading)
//	                     line     InfluxDB line protocol
//	                     tt10     Circular 10/2021 data line records
//
// A decoder fails the whole message (a *MessageError, reason malformed or forbidden) only
// when it cannot decode it or when the payload names another station than its topic; every
// other problem rejects just the reading concerned, with one of the reading-level reasons
// (unknown_parameter, unknown_unit, not_a_number, out_of_range, future_time, too_old,
// bad_time, no_time, duplicate_parameter, too_many_readings). Accepted readings carry the
// canonical parameter id and unit of package param, the registered station's ID and Kind, the
// status code ("00" unless the payload says otherwise), the station's maintenance flag and a
// UTC time of their own: a reading with only the receive time (line protocol without a
// timestamp, SenML relative time) is no_time unless Limits.AcceptReceiveTime.
//
// A Parser is reused for message after message and appends into a caller-owned Result, so
// decoding allocates nothing per reading in the steady state. FORMATS.md documents each
// format with an example.
package payload
