# TLS-01 and TLS-02 on AWS data services: Elasticsearch/OpenSearch HTTPS enforcement, TLS
# policy and node-to-node encryption; ElastiCache in-transit encryption.
package compliance.checks.tls

import data.compliance.lib
import rego.v1

search_kinds := {"aws_elasticsearch_domain": "Elasticsearch domain", "aws_opensearch_domain": "OpenSearch domain"}

endpoint_options(r) := object.get(r.body, "domain_endpoint_options", {})

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	not object.get(endpoint_options(r), "enforce_https", false) == true
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "domain_endpoint_options.enforce_https",
		"message": sprintf("%s %s accepts plaintext HTTP (domain_endpoint_options.enforce_https is not true)", [what, r.name])}
}

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	not node_to_node(r)
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "node_to_node_encryption.enabled",
		"message": sprintf("%s %s does not encrypt traffic between its nodes (node_to_node_encryption.enabled is not true)", [what, r.name])}
}

node_to_node(r) if object.get(r.body, ["node_to_node_encryption", "enabled"], false) == true

node_to_node(r) if {
	not r.body.node_to_node_encryption
	some d in as_list(object.get(r.body, "dynamic", []))
	d.node_to_node_encryption
}

# AWS names: Policy-Min-TLS-1-0-2019-07 (TLS 1.0+), Policy-Min-TLS-1-2-2019-07 (TLS 1.2+, CBC
# suites too), Policy-Min-TLS-1-2-PFS-2023-10 (TLS 1.2+, forward-secret AEAD suites).
search_policy(r) := object.get(endpoint_options(r), "tls_security_policy", "")

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	search_policy(r) == "Policy-Min-TLS-1-0-2019-07"
	v := {"check": "TLS-01", "resource": r.id, "severity": "critical", "path": "domain_endpoint_options.tls_security_policy",
		"message": sprintf("%s %s allows TLS 1.0 (tls_security_policy %s)", [what, r.name, search_policy(r)])}
}

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	policy := search_policy(r)
	startswith(policy, "Policy-Min-TLS-")
	not contains(policy, "-PFS-")
	v := {"check": "TLS-02", "resource": r.id, "severity": search_cipher_severity(policy), "path": "domain_endpoint_options.tls_security_policy",
		"message": sprintf("%s %s uses tls_security_policy %s, which allows non-AEAD cipher suites; use Policy-Min-TLS-1-2-PFS-2023-10", [what, r.name, policy])}
}

search_cipher_severity(policy) := "high" if policy == "Policy-Min-TLS-1-0-2019-07"
else := "low"

violations contains v if {
	some r in lib.of_kind("aws_elasticache_replication_group")
	not object.get(r.body, "transit_encryption_enabled", false) == true
	v := {"check": "TLS-01", "resource": r.id, "severity": "high", "path": "transit_encryption_enabled",
		"message": sprintf("ElastiCache replication group %s does not encrypt client and replication traffic (transit_encryption_enabled is not true)", [r.name])}
}
