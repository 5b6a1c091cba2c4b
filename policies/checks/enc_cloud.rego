# ENC-01 on Azure and GCP storage. The check's METADATA is in enc.rego.
#
# Judgements: Azure Storage and Cloud Storage always encrypt at rest with provider-managed
# keys, so a storage account or bucket without a customer-managed key is low, as an S3
# bucket on S3-managed keys is.
package compliance.checks.enc

import data.compliance.lib
import rego.v1

# Storage accounts given a key by an azurerm_storage_account_customer_managed_key anywhere.
azure_cmk_accounts contains name if {
	some k in lib.of_kind("azurerm_storage_account_customer_managed_key")
	some name in lib.referenced("azurerm_storage_account", object.get(k.body, "storage_account_id", ""))
}

violations contains v if {
	some r in lib.of_kind("azurerm_storage_account")
	count(lib.blocks(r.body, "customer_managed_key")) == 0
	not azure_cmk_accounts[r.name]
	v := {"check": "ENC-01", "resource": r.id, "severity": "low",
		"message": sprintf("storage account %s is encrypted with Microsoft-managed keys, not a customer-managed key (customer_managed_key)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("google_storage_bucket")
	count([e | some e in lib.blocks(r.body, "encryption"); lib.tf_literal_or_ref(object.get(e.block, "default_kms_key_name", ""))]) == 0
	v := {"check": "ENC-01", "resource": r.id, "severity": "low",
		"message": sprintf("Cloud Storage bucket %s is encrypted with Google-managed keys, not a Cloud KMS key (encryption.default_kms_key_name)", [r.name])}
}
