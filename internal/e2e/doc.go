// Package e2e holds end-to-end tests that run the real quantrac and stationsim binaries
// against real Mosquitto and InfluxDB processes (internal/testenv): what a user runs, including
// fault injection (kill -9, database and broker outages). It has no non-test code besides this
// comment.
package e2e
