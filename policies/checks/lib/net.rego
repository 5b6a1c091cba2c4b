# Helpers shared by the NET checks (NET-01, NET-02). No violations here.
package compliance.lib.net

import rego.v1

all_protocols := {"-1", "all", "any"}

all_protocol(protocol) if lower(sprintf("%v", [protocol])) in all_protocols

full_range(from, to) if {
	is_number(from)
	is_number(to)
	from <= 0
	to >= 65535
}

# What a world-open rule exposes; undefined when it exposes nothing this family cares about.
exposed(protocol, from, to) := "all ports (every protocol)" if {
	all_protocol(protocol)
} else := "all ports" if {
	full_range(from, to)
} else := sprintf("admin/database port(s) %s", [concat(", ", ports)]) if {
	is_number(from)
	is_number(to)
	ports := [sprintf("%d", [p]) | some p in data.compliance.lib.admin_ports; p >= from; p <= to]
	count(ports) > 0
}

world_of(cidrs) := concat(", ", [c | some c in cidrs; data.compliance.lib.world_cidrs[c]])
