# Production needs a named approver; elsewhere a missing approver only warns.
package flightdeck.approval

import rego.v1

prod if input.release.environment in {"prod", "production"}

has_approver if {
	is_string(input.release.approver)
	trim_space(input.release.approver) != ""
}

deny contains "a production release requires an approver (release.approver)" if {
	prod
	not has_approver
}

warn contains msg if {
	not prod
	not has_approver
	msg := sprintf("no approver recorded for %v", [input.release.environment])
}
