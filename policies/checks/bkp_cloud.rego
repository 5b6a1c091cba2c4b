# BKP-01 on Azure: Key Vault recoverability. The check's METADATA is in bkp.rego.
#
# Judgement: without purge protection a deleted vault, key or secret can be purged before
# its soft-delete retention ends, so it cannot be recovered (medium, as S3 without
# versioning is low: keys lost are data lost).
package compliance.checks.bkp

import data.compliance.lib
import rego.v1

violations contains v if {
	some r in lib.of_kind("azurerm_key_vault")
	object.get(r.body, "purge_protection_enabled", false) != true
	v := {"check": "BKP-01", "resource": r.id, "severity": "medium", "path": "purge_protection_enabled",
		"message": sprintf("Key Vault %s has no purge protection (purge_protection_enabled is not true): deleted keys and secrets can be purged before recovery", [r.name])}
}
