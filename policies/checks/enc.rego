# Encryption at rest: databases, volumes, buckets, file systems, etcd secrets, application storage.
#
# Parameters: none.
#
# Judgements: S3 has encrypted new objects with SSE-S3 (AES256) by default since 2023 and
# DynamoDB always encrypts with an AWS-owned key, so a bucket without any server-side
# encryption configuration is medium (nothing declared; relies on the platform default), an
# explicit AES256 bucket and a table without a KMS key are low (encrypted, but not with a
# KMS-managed key). An aws_instance without a root_block_device block is medium (its root
# volume follows the account default) unless the run enables aws_ebs_encryption_by_default,
# which also covers volumes that do not say encrypted = true.
package compliance.checks.enc

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
violations contains v if {
	some r in lib.of_kind("SecurityConfig")
	not r.body.storage.encryption_at_rest
	v := {"check": "ENC-01", "resource": r.id, "path": "storage.encryption_at_rest",
		"message": "application storage is not encrypted at rest (storage.encryption_at_rest is false)"}
}

db_kinds := {"aws_db_instance": "database instance", "aws_rds_cluster": "database cluster"}

violations contains v if {
	some kind, what in db_kinds
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
	some root in as_list(r.body.root_block_device)
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

# S3: inline server_side_encryption_configuration or a separate resource naming the bucket.
bucket_keys(b) := {k |
	some k in [sprintf("${aws_s3_bucket.%s.id}", [b.name]), sprintf("${aws_s3_bucket.%s.bucket}", [b.name]), object.get(b.body, "bucket", "")]
	is_string(k)
	k != ""
}

# Keyed by bucket reference; several configurations of one bucket add up.
sse_algorithms_by_bucket[k] contains a if {
	some c in lib.of_kind("aws_s3_bucket_server_side_encryption_configuration")
	k := object.get(c.body, "bucket", "")
	some rule in as_list(object.get(c.body, "rule", []))
	a := sse_algorithm(rule)
}

as_list(x) := x if is_array(x)

as_list(x) := [x] if is_object(x)

sse_algorithm(rule) := object.get(rule, ["apply_server_side_encryption_by_default", "sse_algorithm"], "")

bucket_algorithms(b) := {a |
	some k in bucket_keys(b)
	some a in sse_algorithms_by_bucket[k]
} | {a |
	some rule in as_list(object.get(b.body, ["server_side_encryption_configuration", "rule"], []))
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
