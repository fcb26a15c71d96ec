# A release candidate is never a SNAPSHOT build.
package flightdeck.release

import rego.v1

deny contains msg if {
	v := input.release.version
	contains(upper(v), "SNAPSHOT")
	msg := sprintf("release version %q is a SNAPSHOT build", [v])
}

deny contains "release version is missing from the input" if {
	not input.release.version
}
