# Terraform helpers for the global checks: a configuration is a folder, and a value written as
# exactly `var.NAME` stands for that variable's default in the same folder (what a module does
# unless its caller says otherwise). No violations here.
package compliance.lib

import rego.v1

# The folder of a resource's file ("." for a file at the root of the scan).
tf_folder(file) := dir if {
	contains(file, "/")
	dir := regex.replace(file, `/[^/]*$`, "")
} else := "."

# The defaults of variable `name` declared in the folder of resource r (one when valid).
tf_var_defaults(r, name) := [v.body["default"] |
	some v in of_kind("terraform_variable")
	v.name == name
	tf_folder(v.file) == tf_folder(r.file)
	"default" in object.keys(v.body)
]

# `value` as written, or the default of the variable it names (`var.x` / "${var.x}").
tf_value(r, value) := defaults[0] if {
	is_string(value)
	m := regex.find_all_string_submatch_n(`^\$\{var\.([A-Za-z0-9_-]+)\}$`, value, 1)
	count(m) == 1
	defaults := tf_var_defaults(r, m[0][1])
	count(defaults) == 1
} else := value

# A nested block written once (an object) or repeated (a list), as a list.
as_list(x) := x if is_array(x)

as_list(x) := [x] if is_object(x)

# The strings other resources use to refer to S3 bucket b: ${aws_s3_bucket.<name>.id},
# ${aws_s3_bucket.<name>.bucket} and its literal bucket name.
bucket_keys(b) := {k |
	some k in [sprintf("${aws_s3_bucket.%s.id}", [b.name]), sprintf("${aws_s3_bucket.%s.bucket}", [b.name]), object.get(b.body, "bucket", "")]
	is_string(k)
	k != ""
}
