# Encryption at rest: databases, volumes, buckets, file systems, etcd secrets, application storage.
#
# Judgements: S3 has encrypted new objects with SSE-S3 (AES256) by default since 2023 and
# DynamoDB always encrypts with an AWS-owned key, so a bucket without any server-side
# encryption configuration is medium (nothing declared; relies on the platform default), an
# explicit AES256 bucket and a table without a KMS key are low (encrypted, but not with a
# KMS-managed key). An aws_instance without a root_block_device block is medium (its root
# volume follows the account default) unless the run enables aws_ebs_encryption_by_default,
# which also covers volumes that do not say encrypted = true.
#
# More AWS services: Neptune, Redshift, Elasticsearch/OpenSearch, EKS Secrets, ECR,
# SNS, SQS and ElastiCache. A `dynamic` block of the setting counts as configured unless its
# for_each is an empty list or map, as written or as the default of the variable it names
# (a module's setting that is on by default is not a finding); settings written as `var.x`
# are judged by that variable's default (lib.tf_value).
#
# On Azure and GCP: Azure Storage and Cloud Storage always encrypt at rest with provider-managed
# keys, so a storage account or bucket without a customer-managed key is low, as an S3
# bucket on S3-managed keys is.
#
# METADATA
# title: Data is encrypted at rest with managed keys
# custom:
#   id: ENC-01
#   scope: global
#   severity: high
#   remediation: Turn on storage encryption (storage_encrypted, encrypted, server-side encryption) with a KMS-managed key; enable storage.encryption_at_rest; give kube-apiserver an --encryption-provider-config for Secrets.
#   kinds: [Pod, SecurityConfig, aws_db_instance, aws_dynamodb_table, aws_ebs_volume, aws_ecr_repository, aws_efs_file_system, aws_eks_cluster, aws_elasticache_replication_group, aws_elasticsearch_domain, aws_instance, aws_neptune_cluster, aws_opensearch_domain, aws_rds_cluster, aws_redshift_cluster, aws_s3_bucket, aws_sns_topic, aws_sqs_queue, azurerm_storage_account, azurerm_storage_account_customer_managed_key, google_storage_bucket, terraform_variable, aws_s3_bucket_server_side_encryption_configuration, aws_ebs_encryption_by_default]
#   assesses:
#     Pod: [facts.control_plane.kube-apiserver]
#     terraform_variable: [body.default]
package compliance.checks.enc_01

import data.compliance.lib
import rego.v1

ebs_default_encrypted if {
	some r in lib.of_kind("aws_ebs_encryption_by_default")
	object.get(r.body, "enabled", true) == true
}

# `field` of `body` (a block of resource r) is true, as written or as the default of the
# variable it names.
encrypted(r, body, field) if lib.tf_value(r, object.get(body, field, false)) == true

# Scope global: aws_ebs_encryption_by_default anywhere covers every volume and instance, an
# aws_s3_bucket_server_side_encryption_configuration in any file encrypts the bucket it names,
# and a setting written as `var.x` takes the default of that variable in the resource's folder
# (terraform_variable is read for that, never assessed: `assesses: {terraform_variable: []}`).

violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.storage.encryption_at_rest
	v := {"check": "ENC-01", "resource": r.id, "path": "storage.encryption_at_rest",
		"message": "application storage is not encrypted at rest (storage.encryption_at_rest is false)"}
}

violations contains v if {
	some kind, what in lib.db_kinds
	some r in lib.of_kind(kind)
	not encrypted(r, r.body, "storage_encrypted")
	v := {"check": "ENC-01", "resource": r.id, "path": "storage_encrypted",
		"message": sprintf("%s %s does not encrypt its storage (storage_encrypted is not true)", [what, r.name])}
}

plain_encrypted_kinds := {"aws_ebs_volume": "EBS volume", "aws_efs_file_system": "EFS file system"}

violations contains v if {
	some kind, what in plain_encrypted_kinds
	some r in lib.of_kind(kind)
	not encrypted(r, r.body, "encrypted")
	not covered_by_default(kind)
	v := {"check": "ENC-01", "resource": r.id, "path": "encrypted",
		"message": sprintf("%s %s is not encrypted (encrypted is not true)", [what, r.name])}
}

covered_by_default("aws_ebs_volume") if ebs_default_encrypted

violations contains v if {
	some r in lib.of_kind("aws_instance")
	not ebs_default_encrypted
	some root in lib.as_list(r.body.root_block_device)
	not encrypted(r, root, "encrypted")
	v := {"check": "ENC-01", "resource": r.id, "path": "root_block_device",
		"message": sprintf("instance %s has an unencrypted root volume (root_block_device.encrypted is not true)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_instance")
	not ebs_default_encrypted
	not r.body.root_block_device
	v := {"check": "ENC-01", "resource": r.id, "severity": "medium",
		"message": sprintf("instance %s does not declare root volume encryption (no root_block_device with encrypted = true, no aws_ebs_encryption_by_default)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_instance")
	not ebs_default_encrypted
	some i, device in object.get(r.body, "ebs_block_device", [])
	not encrypted(r, device, "encrypted")
	v := {"check": "ENC-01", "resource": r.id, "path": sprintf("ebs_block_device[%d]", [i]),
		"message": sprintf("instance %s attaches an unencrypted EBS volume (ebs_block_device[%d])", [r.name, i])}
}

# Keyed by bucket reference; several configurations of one bucket add up.
sse_algorithms_by_bucket[k] contains a if {
	some c in lib.of_kind("aws_s3_bucket_server_side_encryption_configuration")
	k := object.get(c.body, "bucket", "")
	some rule in lib.as_list(object.get(c.body, "rule", []))
	a := sse_algorithm(rule)
}

sse_algorithm(rule) := object.get(rule, ["apply_server_side_encryption_by_default", "sse_algorithm"], "")

bucket_algorithms(b) := {a |
	some k in lib.bucket_keys(b)
	some a in sse_algorithms_by_bucket[k]
} | {a |
	some rule in lib.as_list(object.get(b.body, ["server_side_encryption_configuration", "rule"], []))
	a := sse_algorithm(rule)
}

violations contains v if {
	some r in lib.of_kind("aws_s3_bucket")
	count(bucket_algorithms(r)) == 0
	v := {"check": "ENC-01", "resource": r.id, "severity": "medium",
		"message": sprintf("S3 bucket %s declares no server-side encryption (add aws_s3_bucket_server_side_encryption_configuration with aws:kms)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("aws_s3_bucket")
	algorithms := bucket_algorithms(r)
	count(algorithms) > 0
	count({a | some a in algorithms; startswith(a, "aws:kms")}) == 0
	v := {"check": "ENC-01", "resource": r.id, "severity": "low",
		"message": sprintf("S3 bucket %s is encrypted with S3-managed keys (AES256), not a KMS-managed key (aws:kms)", [r.name])}
}

violations contains v if {
	some r in lib.of_kind("Pod")
	some c in lib.containers(r)
	lib.runs(c.spec, "kube-apiserver")
	not encryption_flag(lib.command_line(c.spec))
	v := {"check": "ENC-01", "resource": r.id, "path": c.path,
		"message": sprintf("kube-apiserver in %s runs without --encryption-provider-config, so Secrets are stored unencrypted in etcd", [r.name])}
}

encryption_flag(args) if {
	some a in args
	startswith(a, "--encryption-provider-config=")
}

encryption_flag(args) if "--encryption-provider-config" in args

# The block `name` is declared, inline or as a dynamic block that is not always empty.
declares(_, body, name) if object.get(body, name, null) != null

declares(r, body, name) if {
	some d in lib.as_list(object.get(body, "dynamic", []))
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

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	not declares(r, r.body, "encrypt_at_rest")
	v := {"check": "ENC-01", "resource": r.id,
		"message": sprintf("%s %s does not encrypt data at rest (no encrypt_at_rest block)", [what, r.name])}
}

violations contains v if {
	some kind, what in lib.search_kinds
	some r in lib.of_kind(kind)
	some block in lib.as_list(object.get(r.body, "encrypt_at_rest", []))
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
	some config in lib.as_list(object.get(r.body, "encryption_config", []))
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
	some s in lib.as_list(object.get(r.body, "server_side_encryption", []))
	encrypted(r, s, "enabled")
}

dynamodb_kms(r) if {
	not r.body.server_side_encryption
	declares(r, r.body, "server_side_encryption")
}

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
