# A three-host XenServer / XCP-ng pool: the first host is the coordinator, the others join it.
# Shared NFS storage is the pool's default SR, a bond of eth0+eth1 carries management and two
# VLANs (storage and VM traffic), HA tolerates one host failure, and two VM templates are built.
#
# `npm start` runs it against the simulated lab (`poolform lab xenserver --hosts 3 -- ...`), which
# sets the xen_* variables below. Against real hosts, set them yourself (POOLFORM_VAR_xen_url=...,
# or a *.auto.vars.hcl file) and pin each host's certificate fingerprint.

variable "xen_url" {
  type        = string
  description = "XAPI URL of the host that is (or becomes) the pool coordinator."
}

variable "xen_password" {
  type        = string
  sensitive   = true
  description = "root password, the same on every host."
}

variable "xen_fingerprints" {
  type        = list(string)
  default     = []
  description = "SHA-256 certificate fingerprints of the hosts (self-signed hosts need them)."
}

variable "xen_hosts" {
  type = list(object({
    name        = string
    url         = string
    fingerprint = string
    ssh_port    = number
  }))
  description = "Every host, coordinator first."
}

variable "known_hosts_file" {
  type        = string
  description = "OpenSSH known_hosts with every host's key (SSH probes are strictly checked)."
}

variable "xen_ssh_port" {
  type    = number
  default = 22
}

provider "xenserver" {
  url              = var.xen_url
  password         = var.xen_password
  tls_fingerprints = var.xen_fingerprints
  known_hosts_file = var.known_hosts_file
  ssh_port         = var.xen_ssh_port
  ssh_password     = var.xen_password
}

locals {
  coordinator = var.xen_hosts[0]
  members     = { for h in slice(var.xen_hosts, 1, length(var.xen_hosts)) : h.name => h }
  # Storage VLAN addresses: one per host, in host order.
  storage_ips = { for i, h in var.xen_hosts : h.name => cidrhost("10.10.20.0/24", 11 + i) }
}

# Membership: each member joins the coordinator's pool (pool.join runs on the joining host).
resource "xenserver_pool_member" "member" {
  for_each        = local.members
  address         = each.value.url
  password        = var.xen_password
  tls_fingerprint = each.value.fingerprint
  ssh_port        = each.value.ssh_port
}

# Shared storage: NFS, plugged on every host.
resource "xenserver_sr" "nfs" {
  name_label   = "Shared NFS"
  type         = "nfs"
  content_type = "user"
  device_config = {
    server     = "10.10.1.5"
    serverpath = "/export/xen"
    nfsversion = "4.1"
  }
  depends_on = [xenserver_pool_member.member]
}

resource "xenserver_pool" "pool" {
  name_label       = "lab-pool"
  name_description = "Managed by poolform"
  default_sr       = xenserver_sr.nfs.id
  suspend_image_sr = xenserver_sr.nfs.id
  crash_dump_sr    = xenserver_sr.nfs.id
}

# Networking: a bond of eth0+eth1 (management moves onto it), VLANs on the bond.
resource "xenserver_network" "bond0" {
  name_label = "bond0 (eth0+eth1)"
}

resource "xenserver_bond" "bond0" {
  network    = xenserver_network.bond0.id
  members    = ["eth0", "eth1"]
  mode       = "active-backup"
  depends_on = [xenserver_pool_member.member]
}

resource "xenserver_management_interface" "mgmt" {
  network    = xenserver_network.bond0.id
  ssh_ports  = { for h in var.xen_hosts : h.name => h.ssh_port }
  depends_on = [xenserver_bond.bond0]
}

resource "xenserver_network" "storage" {
  name_label = "Storage (VLAN 20)"
  mtu        = 9000
}

resource "xenserver_vlan" "storage" {
  network    = xenserver_network.storage.id
  tag        = 20
  on         = xenserver_network.bond0.id
  depends_on = [xenserver_bond.bond0]
}

resource "xenserver_network" "vms" {
  name_label = "VM traffic (VLAN 30)"
}

resource "xenserver_vlan" "vms" {
  network    = xenserver_network.vms.id
  tag        = 30
  on         = xenserver_network.bond0.id
  depends_on = [xenserver_bond.bond0]
}

# A dedicated storage interface on every host, on the storage VLAN.
resource "xenserver_storage_interface" "storage" {
  for_each   = local.storage_ips
  host       = each.key
  network    = xenserver_network.storage.id
  ip         = each.value
  netmask    = "255.255.255.0"
  depends_on = [xenserver_vlan.storage, xenserver_pool_member.member]
}

# HA: the NFS SR holds the heartbeat; one host may fail.
resource "xenserver_ha" "ha" {
  enabled                   = true
  heartbeat_srs             = [xenserver_sr.nfs.id]
  host_failures_to_tolerate = 1
  depends_on                = [xenserver_pool_member.member, xenserver_management_interface.mgmt]
}

# VM templates, one per entry: HA restarts them in `order`, Debian first.
locals {
  templates = {
    debian = {
      name_label          = "debian-12-base"
      name_description    = "Debian 12, 2 vCPUs, 2 GiB"
      base_template       = "Debian Bookworm 12"
      vcpus               = 2
      memory_mib          = 2048
      disk_gib            = 20
      ha_restart_priority = "restart"
      order               = 1
    }
    ubuntu = {
      name_label          = "ubuntu-24.04-base"
      name_description    = "Ubuntu 24.04, 4 vCPUs, 4 GiB"
      base_template       = "Ubuntu Noble Numbat 24.04"
      vcpus               = 4
      memory_mib          = 4096
      disk_gib            = 40
      ha_restart_priority = "best-effort"
      order               = 2
    }
  }
}

resource "xenserver_vm_template" "base" {
  for_each            = local.templates
  name_label          = each.value.name_label
  name_description    = each.value.name_description
  base_template       = each.value.base_template
  vcpus               = each.value.vcpus
  memory_mib          = each.value.memory_mib
  disks               = [{ sr = xenserver_sr.nfs.id, size_gib = each.value.disk_gib, name = "root" }]
  networks            = [xenserver_network.vms.id]
  boot_order          = "cd"
  ha_restart_priority = each.value.ha_restart_priority
  order               = each.value.order
}

output "pool_coordinator" {
  value = xenserver_pool.pool.coordinator
}

output "members" {
  value = { for k, m in xenserver_pool_member.member : k => m.host_uuid }
}
