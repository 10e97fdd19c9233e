//go:build !race

package scim_test

// raceSlowdown scales deadlines that only guard against a stuck handler:
// the race detector makes this code 5–20× slower.
const raceSlowdown = 1
