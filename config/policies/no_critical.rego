# No open critical finding may ship; open high findings warn.
package flightdeck.findings

import rego.v1

deny contains msg if {
	n := input.findings.open.critical
	n > 0
	msg := sprintf("%d open critical finding(s); fix or accept them before release", [n])
}

deny contains msg if {
	n := input.findings.secrets
	n > 0
	msg := sprintf("%d leaked secret(s) in the source", [n])
}

warn contains msg if {
	n := input.findings.open.high
	n > 0
	msg := sprintf("%d open high finding(s)", [n])
}
