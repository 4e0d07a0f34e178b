# A three-node Proxmox VE cluster: corosync on a dedicated network (eno2) with a second link (eno3),
# an LACP bond of eno4+eno5 under a VLAN-aware bridge carrying VM traffic plus VLAN interfaces for
# the migration (30) and storage (40) networks on every node, NFS and Ceph RBD shared storage,
# secure migration over the dedicated network, a cloud-init template, two VMs cloned from it and
# kept running by HA, with a rule keeping them on the first two nodes.
#
# `poolform lab proxmox --nodes 3 -- apply` runs it against the simulated lab, which sets the
# pve_* variables below. Against real nodes, set them yourself (POOLFORM_VAR_pve_nodes=..., or a
# *.auto.vars.hcl file) and pin each node's certificate fingerprint (`pvenode cert info`).

variable "pve_nodes" {
  type = map(object({
    api_url         = string
    tls_fingerprint = string
    ssh_address     = string
  }))
  description = "Every node by name: its API URL, certificate fingerprint and SSH address. The first (by name) creates the cluster."
}

variable "pve_api_token" {
  type        = string
  sensitive   = true
  description = "root@pam!poolform=<secret>, present on every node before it joins."
}

variable "pve_password" {
  type        = string
  sensitive   = true
  description = "root password (SSH for pvecm and probes)."
}

variable "known_hosts_file" {
  type        = string
  description = "OpenSSH known_hosts with every node's key (SSH is strictly checked)."
}

provider "proxmox" {
  nodes            = var.pve_nodes
  api_token        = var.pve_api_token
  known_hosts_file = var.known_hosts_file
  ssh_password     = var.pve_password
}

locals {
  names   = sort(keys(var.pve_nodes))
  first   = local.names[0]
  members = toset(slice(local.names, 1, length(local.names)))
  # Per-node addresses, in name order: corosync links, migration and storage VLANs.
  link0     = { for i, n in local.names : n => cidrhost("10.20.10.0/24", 11 + i) }
  link1     = { for i, n in local.names : n => cidrhost("10.20.20.0/24", 11 + i) }
  migration = { for i, n in local.names : n => cidrhost("10.20.30.0/24", 11 + i) }
  storage   = { for i, n in local.names : n => cidrhost("10.20.40.0/24", 11 + i) }
}

# Membership: the first node creates the cluster, the others join it one at a time.
resource "proxmox_cluster" "lab" {
  cluster_name = "lab"
  node         = local.first
  link0        = local.link0[local.first]
  link1        = local.link1[local.first]
}

resource "proxmox_cluster_node" "member" {
  for_each = local.members
  cluster  = proxmox_cluster.lab.cluster_name
  node     = each.key
  link0    = local.link0[each.key]
  link1    = local.link1[each.key]
}

# Networking on every node: staged, then applied with one reload per node.
resource "proxmox_node_network" "net" {
  for_each = toset(local.names)
  node     = each.key

  bond {
    name        = "bond0"
    slaves      = ["eno4", "eno5"]
    mode        = "802.3ad"
    hash_policy = "layer3+4"
  }

  bridge {
    name       = "vmbr1"
    ports      = ["bond0"]
    vlan_aware = true
    comments   = "VM traffic"
  }

  vlan {
    name       = "vmbr1.30"
    raw_device = "vmbr1"
    tag        = 30
    cidr       = "${local.migration[each.key]}/24"
    comments   = "migration"
  }

  vlan {
    name       = "vmbr1.40"
    raw_device = "vmbr1"
    tag        = 40
    cidr       = "${local.storage[each.key]}/24"
    comments   = "storage"
  }

  depends_on = [proxmox_cluster_node.member]
}

resource "proxmox_cluster_options" "datacenter" {
  migration_type    = "secure"
  migration_network = "10.20.30.0/24"
  depends_on        = [proxmox_node_network.net]
}

# Shared storage, reachable from every node over the storage VLAN.
resource "proxmox_storage" "nfs" {
  storage    = "shared-nfs"
  type       = "nfs"
  server     = "10.20.40.5"
  export     = "/export/pve"
  content    = ["images", "iso", "backup"]
  depends_on = [proxmox_node_network.net]
}

resource "proxmox_storage" "ceph" {
  storage    = "ceph-rbd"
  type       = "rbd"
  monhost    = ["10.20.40.21", "10.20.40.22", "10.20.40.23"]
  pool       = "rbd"
  username   = "admin"
  content    = ["images"]
  depends_on = [proxmox_node_network.net]
}

# A cloud-init template on Ceph, and two VMs cloned from it.
resource "proxmox_vm_template" "debian" {
  node   = local.first
  name   = "debian-12-cloud"
  cores  = 2
  memory = 2048
  tags   = ["cloud-init", "debian"]

  disk {
    slot    = "scsi0"
    storage = proxmox_storage.ceph.storage
    size_gb = 8
  }

  network {
    slot     = "net0"
    bridge   = "vmbr1"
    vlan_tag = 100
  }

  cloud_init_storage = proxmox_storage.ceph.storage

  cloud_init {
    user      = "debian"
    ssh_keys  = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKq7lab0poolform0example0key0only0 admin@example"]
    ip_config = ["ip=dhcp"]
  }
}

resource "proxmox_vm" "app" {
  for_each   = { app1 = local.names[0], app2 = local.names[1] }
  node       = each.value
  name       = each.key
  clone_from = proxmox_vm_template.debian.vmid
  cores      = 2
  memory     = 4096
  start      = true
}

# HA keeps both VMs running; the rule prefers the first two nodes.
resource "proxmox_ha_resource" "app" {
  for_each     = proxmox_vm.app
  sid          = "vm:${each.value.vmid}"
  state        = "started"
  max_restart  = 2
  max_relocate = 1
  depends_on   = [proxmox_cluster_node.member]
}

resource "proxmox_ha_rule" "apps" {
  rule      = "apps-prefer-first-nodes"
  type      = "node-affinity"
  resources = [for r in proxmox_ha_resource.app : r.sid]
  nodes     = ["${local.names[0]}:2", "${local.names[1]}:2", "${local.names[2]}:1"]
  strict    = false
}
