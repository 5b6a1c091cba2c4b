# Entry point: the one query a run evaluates collects every check family's violations
# and every pack's own violations.
package compliance.main

import rego.v1

violations contains v if {
	some family
	some v in data.compliance.checks[family].violations
}

violations contains v if {
	some pack
	some v in data.compliance.packs[pack].violations
}
