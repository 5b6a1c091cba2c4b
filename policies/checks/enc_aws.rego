# Rules here may call enc.rego's helpers, never the reverse: OPA compiles each uploaded module
# against those already there, so two modules of a package must not call each other.
#
# ENC-01 on more AWS services: Neptune, Redshift, Elasticsearch/OpenSearch, EKS Secrets, ECR,
# SNS, SQS and ElastiCache. A `dynamic` block of the setting counts as configured unless its
# for_each is an empty list or map, as written or as the default of the variable it names
# (a module's setting that is on by default is not a finding); settings written as `var.x`
# are judged by that variable's default (lib.tf_value).
package compliance.checks.enc

import data.compliance.lib
import rego.v1

# The block `name` is declared, inline or as a dynamic block that is not always empty.
declares(_, body, name) if object.get(body, name, null) != null

declares(r, body, name) if {
	some d in as_list(object.get(body, "dynamic", []))
	block := d[name]
	not lib.tf_value(r, object.get(block, "for_each", null)) in {"${[]}", "${{}}", [], {}, null}
}

storage_encrypted_kinds := {"aws_neptune_cluster": "Neptune cluster"}

violations contains v if {
	some kind, what in storage_encrypted_kinds
	some r in lib.of_kind(kind)
	not encrypted(r, r.body, "storage_encrypted")
	v := {"check": "ENC-01", "resource": r.id, "path": "storage_encrypted",
		"message": sprintf("%s %s does not encrypt its storage (storage_encrypted is not true)", [what, r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_redshift_cluster")
	not encrypted(r, r.body, "encrypted")
	v := {"check": "ENC-01", "resource": r.id, "path": "encrypted",
		"message": sprintf("Redshift cluster %s is not encrypted (encrypted is not true)", [r.name])}
}

search_kinds := {"aws_elasticsearch_domain": "Elasticsearch domain", "aws_opensearch_domain": "OpenSearch domain"}

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	not declares(r, r.body, "encrypt_at_rest")
	v := {"check": "ENC-01", "resource": r.id,
		"message": sprintf("%s %s does not encrypt data at rest (no encrypt_at_rest block)", [what, r.name])}
}

violations contains v if {
	some kind, what in search_kinds
	some r in lib.of_kind(kind)
	some block in as_list(object.get(r.body, "encrypt_at_rest", []))
	not encrypted(r, block, "enabled")
	v := {"check": "ENC-01", "resource": r.id, "path": "encrypt_at_rest",
		"message": sprintf("%s %s does not encrypt data at rest (encrypt_at_rest.enabled is not true)", [what, r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_eks_cluster")
	not declares(r, r.body, "encryption_config")
	v := {"check": "ENC-01", "resource": r.id,
		"message": sprintf("EKS cluster %s does not encrypt Kubernetes Secrets with a KMS key (no encryption_config)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_eks_cluster")
	some config in as_list(object.get(r.body, "encryption_config", []))
	resources := object.get(config, "resources", [])
	is_array(resources)
	not "secrets" in resources
	v := {"check": "ENC-01", "resource": r.id, "path": "encryption_config",
		"message": sprintf("EKS cluster %s has an encryption_config that does not cover secrets", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_ecr_repository")
	upper(object.get(r.body, ["encryption_configuration", "encryption_type"], "AES256")) != "KMS"
	not ecr_dynamic(r)
	v := {"check": "ENC-01", "resource": r.id, "severity": "low", "path": "encryption_configuration",
		"message": sprintf("ECR repository %s is encrypted with AES256 (S3-managed keys), not a KMS key (encryption_type = \"KMS\")", [r.name])}
}

ecr_dynamic(r) if {
	not r.body.encryption_configuration
	declares(r, r.body, "encryption_configuration")
}

violations contains v if {
	some r in lib.of_kind("aws_sns_topic")
	object.get(r.body, "kms_master_key_id", "") in {"", null}
	v := {"check": "ENC-01", "resource": r.id, "severity": "medium",
		"message": sprintf("SNS topic %s has no server-side encryption (set kms_master_key_id)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_sqs_queue")
	object.get(r.body, "kms_master_key_id", "") in {"", null}
	object.get(r.body, "sqs_managed_sse_enabled", null) == false
	v := {"check": "ENC-01", "resource": r.id, "path": "sqs_managed_sse_enabled",
		"message": sprintf("SQS queue %s turns server-side encryption off (sqs_managed_sse_enabled = false, no kms_master_key_id)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_sqs_queue")
	object.get(r.body, "kms_master_key_id", "") in {"", null}
	not object.get(r.body, "sqs_managed_sse_enabled", null) == false
	v := {"check": "ENC-01", "resource": r.id, "severity": "low",
		"message": sprintf("SQS queue %s is encrypted with SQS-owned keys (SSE-SQS), not a KMS key (kms_master_key_id)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_elasticache_replication_group")
	not encrypted(r, r.body, "at_rest_encryption_enabled")
	v := {"check": "ENC-01", "resource": r.id, "path": "at_rest_encryption_enabled",
		"message": sprintf("ElastiCache replication group %s does not encrypt data at rest (at_rest_encryption_enabled is not true)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_dynamodb_table")
	not dynamodb_kms(r)
	v := {"check": "ENC-01", "resource": r.id, "severity": "low",
		"message": sprintf("DynamoDB table %s uses the AWS-owned key; enable server_side_encryption with a KMS key", [r.name])}
}

# DynamoDB with a KMS key: server_side_encryption enabled inline, or a dynamic block.
dynamodb_kms(r) if {
	some s in as_list(object.get(r.body, "server_side_encryption", []))
	encrypted(r, s, "enabled")
}

dynamodb_kms(r) if {
	not r.body.server_side_encryption
	declares(r, r.body, "server_side_encryption")
}
