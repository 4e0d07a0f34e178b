// Every resource type and data source the provider serves, by type name. One module per type.

import type { DataSourceType, ResourceType } from './types.js';
import { pool } from './pool.js';
import { poolMember } from './pool-member.js';
import { host } from './host.js';
import { hostPowerOn } from './host-power-on.js';
import { ha } from './ha.js';
import { sr } from './sr.js';
import { network } from './network.js';
import { bond } from './bond.js';
import { vlan } from './vlan.js';
import { storageInterface } from './storage-interface.js';
import { managementInterface } from './management-interface.js';
import { vmTemplate } from './vm-template.js';
import { vmHa } from './vm-ha.js';
import { hostsData } from './hosts-data.js';

export const RESOURCE_TYPES: Record<string, ResourceType> = {
  xenserver_pool: pool,
  xenserver_pool_member: poolMember,
  xenserver_host: host,
  xenserver_host_power_on: hostPowerOn,
  xenserver_ha: ha,
  xenserver_sr: sr,
  xenserver_network: network,
  xenserver_bond: bond,
  xenserver_vlan: vlan,
  xenserver_storage_interface: storageInterface,
  xenserver_management_interface: managementInterface,
  xenserver_vm_template: vmTemplate,
  xenserver_vm_ha: vmHa,
};

export const DATA_SOURCES: Record<string, DataSourceType> = {
  xenserver_hosts: hostsData,
};
