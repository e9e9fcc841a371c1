// Package config loads and validates quantrac.yaml (README.md, "Configuration reference").
//
// Defaults are values (Default), decoding is strict (unknown keys are errors), and Load
// validates everything it can without I/O beyond reading files: every problem is reported as
// "file:line: key: reason". `quantrac check` and `quantrac run` share this one path.
// Secrets never live in the YAML: they come from a file or an environment variable and are
// held in a Secret, which prints as "<redacted>".
package config
