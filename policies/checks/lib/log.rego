# Helpers shared by the LOG checks (LOG-01, LOG-02, LOG-03, LOG-04, LOG-05). No violations here.
package compliance.lib.log

import rego.v1

audit(r) := r.body.security.audit_config

