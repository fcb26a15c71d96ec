# The demo environment's infrastructure as code. It needs no provider
# download: only variables, locals and outputs, so `terraform init`, `plan`,
# `apply` and `output -json` all work offline (Terraform >= 1.0).
# flightdeck passes the URLs of its embedded targets as -var values.

terraform {
  required_version = ">= 1.0.0"
}

variable "baseline_url" {
  type        = string
  description = "URL of the baseline variant of the demo service."
  default     = "http://127.0.0.1:8081"
}

variable "canary_url" {
  type        = string
  description = "URL of the canary variant of the demo service."
  default     = "http://127.0.0.1:8082"
}

variable "db_password" {
  type        = string
  description = "Demo only: shows that sensitive values are masked."
  default     = "demo-password-not-a-secret"
  sensitive   = true
}

locals {
  service = {
    name          = "shop-api"
    instance_type = "t3.medium"
    replicas      = 2
    log_level     = "debug"
  }
}

output "baseline_url" {
  value = var.baseline_url
}

output "canary_url" {
  value = var.canary_url
}

output "service" {
  value = local.service
}

output "db_password" {
  value     = var.db_password
  sensitive = true
}
