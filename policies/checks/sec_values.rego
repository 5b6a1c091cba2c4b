# SEC-01 on Kubernetes Secret manifests, judged by their values (facts.secret_values).
# The check's METADATA is in sec.rego.
package compliance.checks.sec

import data.compliance.lib
import rego.v1

# What a key of a Secret commits: undefined when it holds no secret.
committed(e) := e.key if {
	not e.config
	not e.empty
}

committed(e) := sprintf("%s [%s]", [e.key, concat(", ", e.secrets)]) if {
	e.config
	count(e.secrets) > 0
}

violations contains v if {
	some r in lib.of_kind("Secret")
	some field in ["data", "stringData"]
	keys := [k | some e in object.get(r.facts, "secret_values", []); e.field == field; k := committed(e)]
	count(keys) > 0
	v := {"check": "SEC-01", "resource": r.id, "severity": "high", "path": field,
		"message": sprintf("Secret manifest %s commits %d value(s) in %s (%s); base64 is not encryption, keep the values out of the repository", [r.name, count(keys), field, concat(", ", sort(keys))])}
}
