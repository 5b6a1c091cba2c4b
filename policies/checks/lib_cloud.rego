# Shared helpers for Azure (azurerm_*) and GCP (google_*) Terraform resources. No violations here.
package compliance.lib

import rego.v1

# The blocks of `key` in a Terraform body with their field paths: python-hcl2 gives one block
# as a mapping and several as a list.
blocks(body, key) := [{"path": sprintf("%s[%d]", [key, i]), "block": b} | some i, b in body[key]; is_object(b)] if is_array(body[key])

blocks(body, key) := [{"path": key, "block": body[key]}] if is_object(body[key])

blocks(body, key) := [] if not body[key]

# Rules of this package (world_cidrs) read through functions: regorus leaves
# `lib.<rule>` undefined in a check module that is not the first of its package when the
# query names the package by a variable (data.compliance.checks[family]), as main does.
world_cidr(c) if world_cidrs[c]

# A field's value in lower case; "" when it is not a string.
lower_of(obj, key) := lower(object.get(obj, key, null)) if is_string(object.get(obj, key, null))

lower_of(obj, key) := "" if not is_string(object.get(obj, key, null))

# Strings of the fields `keys` of `obj` (each a string or a list of strings).
strings_of(obj, keys) := [s |
	some key in keys
	some s in one_or_many(object.get(obj, key, []))
	is_string(s)
]

one_or_many(x) := x if is_array(x)

one_or_many(x) := [x] if not is_array(x)

# Azure service tags and prefixes that mean "any source on the internet".
internet_source(s) if lower(trim_space(s)) in {"*", "0.0.0.0", "0.0.0.0/0", "::/0", "internet", "any"}

all_protocol_name(p) if lower(sprintf("%v", [p])) in {"-1", "all", "any", "*", "asterisk"}

# Protocols that carry ports (TCP, UDP, SCTP by name or number) or every protocol.
port_protocol(p) if all_protocol_name(p)

port_protocol(p) if lower(sprintf("%v", [p])) in {"tcp", "udp", "sctp", "6", "17", "132"}

# A port or port range ("22", "1000-2000", "*", 22) as [from, to].
port_range(p) := [0, 65535] if p == "*"

port_range(p) := [p, p] if is_number(p)

port_range(p) := [n, n] if {
	is_string(p)
	regex.match(`^\s*[0-9]+\s*$`, p)
	n := to_number(trim_space(p))
}

port_range(p) := [to_number(trim_space(parts[0])), to_number(trim_space(parts[1]))] if {
	is_string(p)
	regex.match(`^\s*[0-9]+\s*-\s*[0-9]+\s*$`, p)
	parts := split(p, "-")
}

# What a rule open to the internet exposes over `ranges` ([from, to] pairs); undefined when it
# exposes neither every port nor an admin/database port.
port_exposure(protocol, ranges) := "all ports (every protocol)" if {
	all_protocol_name(protocol)
	some r in ranges
	r[0] <= 0
	r[1] >= 65535
}

port_exposure(protocol, ranges) := "all ports" if {
	not all_protocol_name(protocol)
	port_protocol(protocol)
	some r in ranges
	r[0] <= 0
	r[1] >= 65535
}

port_exposure(protocol, ranges) := sprintf("admin/database port(s) %s", [concat(", ", ports)]) if {
	port_protocol(protocol)
	not full_port_range(ranges)
	ports := [sprintf("%d", [p]) | some p in admin_ports; port_listed(p, ranges)]
	count(ports) > 0
}

full_port_range(ranges) if {
	some r in ranges
	r[0] <= 0
	r[1] >= 65535
}

port_listed(p, ranges) if {
	some r in ranges
	port_in_range(p, r[0], r[1])
}

# A Terraform string written in the configuration: not empty, no interpolation or reference.
tf_literal(value) if {
	is_string(value)
	count(trim_space(value)) > 0
	not contains(value, "${")
}

# Names of `type` resources a Terraform expression refers to (azurerm_key_vault.main.id -> main).
referenced(type, value) := {m[1] |
	is_string(value)
	some m in regex.find_all_string_submatch_n(sprintf(`%s\.([A-Za-z0-9_-]+)\b`, [type]), value, -1)
}

tls_rank_of(version) := tls_rank[version]

# Azure's TLS version names (TLS1_0, TLS1_2, "1.2") as "1.0" .. "1.3"; undefined otherwise.
azure_tls_version(value) := sprintf("1.%s", [m[1]]) if {
	is_string(value)
	m := regex.find_all_string_submatch_n(`^(?:TLS)?1[._]([0-3])$`, value, 1)[0]
}

# A non-empty string: a literal or a reference.
tf_literal_or_ref(value) if {
	is_string(value)
	count(trim_space(value)) > 0
}
