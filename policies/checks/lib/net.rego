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
exposed(protocol, _, _) := "all ports (every protocol)" if all_protocol(protocol)

exposed(protocol, from, to) := "all ports" if {
	not all_protocol(protocol)
	full_range(from, to)
}

exposed(protocol, from, to) := sprintf("admin/database port(s) %s", [concat(", ", ports)]) if {
	not all_protocol(protocol)
	not full_range(from, to)
	is_number(from)
	is_number(to)
	ports := [sprintf("%d", [p]) | some p in data.compliance.lib.admin_ports; data.compliance.lib.port_in_range(p, from, to)]
	count(ports) > 0
}

world_of(cidrs) := concat(", ", [c | some c in cidrs; data.compliance.lib.world_cidrs[c]])
