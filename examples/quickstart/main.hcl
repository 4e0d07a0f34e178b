# A configuration that needs no platform: poolform_data objects carry values and triggers
# through plan and apply, the way a pool's settings flow into its members.

variable "pool_name" {
  type        = string
  default     = "lab-pool"
  description = "Name of the pool the settings are for."
}

variable "hosts" {
  type    = list(string)
  default = ["xs1", "xs2", "xs3"]
}

variable "mtu" {
  type    = number
  default = 9000
  validation {
    condition     = var.mtu >= 1280 && var.mtu <= 9216
    error_message = "The MTU must be between 1280 and 9216."
  }
}

locals {
  storage_cidr = "10.20.0.0/24"
  members      = { for i, h in var.hosts : h => cidrhost(local.storage_cidr, i + 11) }
}

resource "poolform_data" "pool" {
  input = {
    name = var.pool_name
    mtu  = var.mtu
  }
}

resource "poolform_data" "member" {
  for_each = local.members

  input = {
    pool       = poolform_data.pool.output.name
    host       = each.key
    storage_ip = each.value
    netmask    = cidrnetmask(local.storage_cidr)
  }
}

resource "poolform_data" "ha" {
  input            = { tolerate = length(var.hosts) > 2 ? 1 : 0 }
  triggers_replace = [for m in poolform_data.member : m.id]
}

output "storage_addresses" {
  value = { for h, m in poolform_data.member : h => m.output.storage_ip }
}

output "ha_failures_to_tolerate" {
  value = poolform_data.ha.output.tolerate
}
