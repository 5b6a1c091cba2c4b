variable "storage_encrypted" {
  type    = bool
  default = false
}

variable "encryption_config" {
  type    = list(any)
  default = []
}
