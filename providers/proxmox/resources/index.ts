// Every resource type and data source the Proxmox provider serves, by type name. One module per type.

import type { PveDataSourceType, PveResourceType } from './types.js';
import { cluster } from './cluster.js';
import { clusterNode } from './cluster-node.js';
import { clusterOptions } from './cluster-options.js';
import { haGroup } from './ha-group.js';
import { haRule } from './ha-rule.js';
import { haResource } from './ha-resource.js';
import { nodesData } from './nodes-data.js';
import { storage } from './storage.js';
import { nodeNetwork } from './node-network.js';
import { vmTemplate } from './vm-template.js';
import { vm } from './vm.js';

export const RESOURCE_TYPES: Record<string, PveResourceType> = {
  proxmox_cluster: cluster,
  proxmox_cluster_node: clusterNode,
  proxmox_cluster_options: clusterOptions,
  proxmox_ha_group: haGroup,
  proxmox_ha_rule: haRule,
  proxmox_ha_resource: haResource,
  proxmox_storage: storage,
  proxmox_node_network: nodeNetwork,
  proxmox_vm_template: vmTemplate,
  proxmox_vm: vm,
};

export const DATA_SOURCES: Record<string, PveDataSourceType> = {
  proxmox_nodes: nodesData,
};
