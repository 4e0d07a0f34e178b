// What a freshly installed lab host's database holds: its pool of one, the host and its metrics,
// the control domain, physical NICs with one pool-wide network each (eth0 carries management,
// static 10.10.0.<10+i>), the internal management network, local storage and the tools ISO SR,
// and the built-in templates. Used at lab start and again when pool.eject wipes a host.

import { randomUUID } from 'node:crypto';
import { Db } from './db.js';
import { NULL_REF } from './model.js';
import { makeVlan } from './network.js';
import type { SimHost, World } from './world.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
export const DOM0_MEMORY = 4 * GiB;

export function managementIp(h: SimHost): string {
  return `10.10.0.${10 + h.index}`;
}

function nicMac(h: SimHost, n: number): string {
  const hex = (x: number) => x.toString(16).padStart(2, '0');
  return `02:0a:${hex(h.index >> 8)}:${hex(h.index & 0xff)}:00:${hex(n)}`;
}

function softwareVersion(h: SimHost): Record<string, string> {
  const [maj = '8', min = '4'] = h.version.split('.');
  return {
    product_version: h.version,
    product_version_text: `${maj}.${min}`,
    product_version_text_short: `${maj}.${min}`,
    platform_name: 'XCP',
    platform_version: `3.${min}.0`,
    product_brand: 'XenServer',
    build_number: `${maj}${min}0.1.lab`,
    git_id: '0',
    hostname: h.name,
    date: '2026-11-01',
    xapi: '25.6',
    xen: '4.17.5-3',
    linux: '4.19.0+1',
    xencenter_min: `${h.apiMajor}.${h.apiMinor}`,
    xencenter_max: `${h.apiMajor}.${h.apiMinor}`,
    network_backend: 'openvswitch',
    db_schema: `5.${780 + Number(min)}`,
  };
}

function cpuInfo(h: SimHost): Record<string, string> {
  return {
    cpu_count: '32',
    socket_count: '2',
    vendor: h.cpuVendor,
    speed: '2900.000',
    modelname: h.cpuVendor === 'AuthenticAMD' ? 'AMD EPYC 7302 16-Core Processor' : 'Intel(R) Xeon(R) Gold 6226R CPU @ 2.90GHz',
    family: h.cpuVendor === 'AuthenticAMD' ? '23' : '6',
    model: h.cpuVendor === 'AuthenticAMD' ? '49' : '85',
    stepping: '7',
    flags: 'fpu de tsc msr pae mce cx8 apic sep mca cmov pat clflush mmx fxsr sse sse2 ht syscall nx lm',
    features_pv: h.cpuFeatures,
    features_hvm: h.cpuFeatures,
    features_pv_host: h.cpuFeatures,
    features_hvm_host: h.cpuFeatures,
  };
}

/** The physical networks' names and bridges, as XAPI names them at install. */
export function physicalNetworkFields(device: string): Record<string, unknown> {
  const n = device.replace(/^eth/, '');
  return { name_label: `Pool-wide network associated with ${device}`, bridge: `xenbr${n}`, MTU: 1500, other_config: {} };
}

interface TemplateSpec {
  name: string;
  description: string;
  memory: number;
  vcpus: number;
  disk?: number;
  reference: string;
}

// The built-in templates the brief names; provision specs as XAPI templates carry them.
const TEMPLATES: TemplateSpec[] = [
  { name: 'Debian Bookworm 12', description: 'Template that allows VM installation from Xen-aware Debian-based distros.', memory: 2 * GiB, vcpus: 1, disk: 10 * GiB, reference: 'debian-12' },
  { name: 'Ubuntu Noble Numbat 24.04', description: 'Template that allows VM installation from Xen-aware Debian-based distros.', memory: 2 * GiB, vcpus: 1, disk: 10 * GiB, reference: 'ubuntu-24.04' },
  { name: 'Windows Server 2022 (64-bit)', description: 'Clones of this template will automatically provision their storage when first booted.', memory: 4 * GiB, vcpus: 2, disk: 32 * GiB, reference: 'windows-server-2022-64bit' },
  { name: 'Other install media', description: 'Template which allows any other operating system to be installed from installation media.', memory: 1 * GiB, vcpus: 1, reference: 'other-install-media' },
];

function provisionXml(size: number): string {
  return `<provision><disk device="0" size="${size}" sr="" bootable="true" type="system"/></provision>`;
}

function addTemplates(db: Db): void {
  for (const t of TEMPLATES) {
    db.create('VM', {
      name_label: t.name,
      name_description: t.description,
      is_a_template: true,
      is_default_template: true,
      reference_label: t.reference,
      user_version: 1,
      memory_static_min: 512 * MiB,
      memory_static_max: t.memory,
      memory_dynamic_min: t.memory,
      memory_dynamic_max: t.memory,
      VCPUs_max: t.vcpus,
      VCPUs_at_startup: t.vcpus,
      VCPUs_params: {},
      actions_after_shutdown: 'destroy',
      actions_after_reboot: 'restart',
      actions_after_crash: 'restart',
      HVM_boot_policy: 'BIOS order',
      HVM_boot_params: { order: 'cdn' },
      platform: { viridian: 'false', acpi: '1', apic: 'true', pae: 'true', nx: 'true', 'device-model': 'qemu-upstream-compat' },
      domain_type: 'hvm',
      other_config: { default_template: 'true', ...(t.disk ? { disks: provisionXml(t.disk) } : {}), 'install-methods': 'cdrom' },
      recommendations: '<restrictions><restriction field="memory-static-max" max="1649267441664"/><restriction field="vcpus-max" max="64"/></restrictions>',
      domid: -1,
    });
  }
}

/**
 * A fresh database for `h` as after installation (or after pool.eject wiped it). Sets h.db and
 * h.ref. The host uuid survives (it is the installation's); everything else is new.
 */
export function freshHostDb(w: World, h: SimHost): Db {
  const db = new Db(w.counter);
  const hostRef = `OpaqueRef:${randomUUID()}`;
  h.db = db;
  h.ref = hostRef;

  const metrics = db.create('host_metrics', { live: true, memory_total: h.memoryBytes, memory_free: h.memoryBytes - DOM0_MEMORY });
  const dom0 = db.create('VM', {
    name_label: `Control domain on host: ${h.name}`,
    name_description: 'The domain which manages physical devices and manages other domains',
    is_control_domain: true,
    power_state: 'Running',
    resident_on: hostRef,
    affinity: hostRef,
    domid: 0,
    memory_static_max: DOM0_MEMORY,
    memory_dynamic_max: DOM0_MEMORY,
    memory_dynamic_min: DOM0_MEMORY,
    memory_static_min: DOM0_MEMORY,
    memory_target: DOM0_MEMORY,
    VCPUs_max: 8,
    VCPUs_at_startup: 8,
    other_config: { storage_driver_domain: `OpaqueRef:${randomUUID()}`, is_system_domain: 'true' },
    domain_type: 'pv',
  });

  // local storage (the pool's default SR on a fresh install) and the tools ISO library
  const localSr = db.create('SR', {
    name_label: 'Local storage',
    name_description: '',
    type: 'lvm',
    content_type: 'user',
    shared: false,
    physical_size: 500 * GiB,
    physical_utilisation: 4 * MiB,
    virtual_allocation: 0,
    other_config: { 'i18n-key': 'local-storage' },
    sm_config: { allocation: 'thick', use_vhd: 'true', devserial: `scsi-${h.uuid.slice(0, 8)}` },
  });
  db.create('PBD', { host: hostRef, SR: localSr, device_config: { device: '/dev/disk/by-id/scsi-lab-local-part3' }, currently_attached: true, other_config: {} });
  const tools = db.create('SR', {
    name_label: 'XenServer Tools',
    name_description: 'XenServer Tools ISOs',
    type: 'iso',
    content_type: 'iso',
    shared: true,
    is_tools_sr: true,
    physical_size: -1,
    physical_utilisation: -1,
    virtual_allocation: 0,
    other_config: { xenserver_tools_sr: 'true', 'i18n-key': 'xenserver-tools' },
    sm_config: {},
  });
  db.create('PBD', { host: hostRef, SR: tools, device_config: { location: '/opt/xensource/packages/iso', legacy_mode: 'true' }, currently_attached: true, other_config: {} });

  db.create('network', { name_label: 'Host internal management network', name_description: 'Network on which guests will be assigned a private link-local IP address which can be used to talk XenAPI', bridge: 'xenapi', MTU: 1500, other_config: { is_guest_installer_network: 'true', is_host_internal_management_network: 'true', ip_begin: '169.254.0.1', ip_end: '169.254.255.254', netmask: '255.255.0.0' } });

  const ip = managementIp(h);
  const ipFields = { ip_configuration_mode: h.managementMode, IP: ip, netmask: '255.255.255.0', gateway: '10.10.0.1', DNS: '10.10.0.2' };
  for (let n = 0; n < h.nics; n++) {
    const device = `eth${n}`;
    const net = db.create('network', physicalNetworkFields(device));
    const onMgmt = n === 0 && h.managementVlan < 0;
    const pif = db.create('PIF', {
      device,
      network: net,
      host: hostRef,
      MAC: nicMac(h, n),
      MTU: 1500,
      VLAN: -1,
      physical: true,
      currently_attached: true,
      management: onMgmt,
      managed: true,
      bond_slave_of: NULL_REF,
      VLAN_master_of: NULL_REF,
      properties: { gro: 'on' },
      capabilities: [],
      igmp_snooping_status: 'disabled',
      other_config: {},
      ...(onMgmt ? ipFields : {}),
    });
    if (n === 0 && h.managementVlan >= 0) {
      // management on a tagged VLAN of eth0, as an installer configured with a VLAN leaves it
      const vnet = db.create('network', { name_label: `VLAN ${h.managementVlan} (management)`, bridge: 'xapi0', MTU: 1500, other_config: {} });
      const vlan = makeVlan(db, pif, h.managementVlan, vnet);
      db.update('PIF', db.get('VLAN', vlan).untagged_PIF as string, { management: true, ...ipFields });
    }
  }

  db.create(
    'host',
    {
      uuid: h.uuid,
      name_label: h.name,
      name_description: 'Default install',
      hostname: h.name,
      address: h.address,
      enabled: true,
      API_version_major: h.apiMajor,
      API_version_minor: h.apiMinor,
      API_version_vendor: 'XenSource',
      API_version_vendor_implementation: {},
      software_version: softwareVersion(h),
      cpu_info: cpuInfo(h),
      cpu_configuration: {},
      capabilities: ['xen-3.0-x86_64', 'hvm-3.0-x86_32', 'hvm-3.0-x86_64'],
      sched_policy: 'credit',
      supported_bootloaders: ['pygrub', 'eliloader'],
      logging: {},
      other_config: { iscsi_iqn: `iqn.2026-11.lab.poolform:${h.name}`, agent_start_time: String(Date.now() / 1000), boot_time: String(Math.floor(Date.now() / 1000)) },
      iscsi_iqn: `iqn.2026-11.lab.poolform:${h.name}`,
      metrics,
      control_domain: dom0,
      suspend_image_sr: localSr,
      crash_dump_sr: localSr,
      license_params: { sku_type: 'xenserver-premium' },
      edition: 'premium',
      memory_overhead: 0,
      allowed_operations: ['provision', 'evacuate', 'shutdown', 'reboot', 'vm_start', 'vm_resume', 'vm_migrate'],
      tls_verification_enabled: true,
      ssl_legacy: false,
    },
    hostRef,
  );

  db.create('pool', {
    name_label: '',
    name_description: '',
    master: hostRef,
    default_SR: localSr,
    suspend_image_SR: localSr,
    crash_dump_SR: localSr,
    other_config: {},
    cpu_info: { cpu_count: '32', socket_count: '2', vendor: h.cpuVendor, features_pv: h.cpuFeatures, features_hvm: h.cpuFeatures, features_pv_host: h.cpuFeatures, features_hvm_host: h.cpuFeatures },
    restrictions: { restrict_pooling: 'false', restrict_ha: 'false', restrict_vlan: 'false' },
    allowed_operations: ['ha_enable', 'designate_new_master', 'eject'],
    tls_verification_enabled: true,
    metadata_VDIs: [],
  });

  addTemplates(db);
  return db;
}
