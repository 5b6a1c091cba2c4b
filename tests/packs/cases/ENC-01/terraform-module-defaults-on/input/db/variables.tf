variable "storage_encrypted" {
  type    = bool
  default = true
}

variable "encryption_config" {
  type    = list(any)
  default = [{ resources = ["secrets"] }]
}
