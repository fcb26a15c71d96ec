# Load: p95 latency under a bound, error rate under 1%.
# Written in Rego v0 style (deny[msg] { ... }) on purpose: both styles are supported.
package flightdeck.load

import future.keywords.in

max_p95_ms := 50

deny[msg] {
	input.load.p95_ms > max_p95_ms
	msg := sprintf("load p95 %vms is above the %vms bound", [input.load.p95_ms, max_p95_ms])
}

deny[msg] {
	input.load.error_rate >= 0.01
	msg := sprintf("load error rate %v is 1%% or more", [input.load.error_rate])
}

warn[msg] {
	not input.load.p95_ms
	msg := "no load p95 in the input: was the load stage skipped?"
}
