# SEC-01 on the files a compose service takes variables from: its env_file entries and the
# project's .env (the variables the service interpolates). The check's METADATA is in sec.rego.
package compliance.checks.sec

import data.compliance.lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some f in object.get(r.facts, "env_files", [])
	some e in f.entries
	literal_secret(e.name, e.value)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical", "line": f.line,
		"message": sprintf("compose service %s reads %s from env_file %s (line %d), which holds a literal secret value", [r.name, e.name, f.file, e.line])}
}

violations contains v if {
	some r in lib.of_kind("ComposeService")
	some e in object.get(r.facts, ["dotenv", "entries"], [])
	literal_secret(e.name, e.value)
	v := {"check": "SEC-01", "resource": r.id, "severity": "critical",
		"message": sprintf("compose service %s interpolates %s from .env (line %d), which holds a literal secret value", [r.name, e.name, e.line])}
}
