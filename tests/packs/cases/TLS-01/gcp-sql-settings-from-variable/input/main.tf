variable "settings" {
  type = any
}

resource "google_sql_database_instance" "reports" {
  database_version = "POSTGRES_15"
  settings         = var.settings
}
