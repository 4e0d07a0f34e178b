// What an administrator can do about an XAPI error code: the "what to do" part of every XapiError
// message. XAPI's own texts say what went wrong, rarely what to do in a poolform configuration, so
// the advice is written here, keyed by the codes of xapi-errors.json (SR_BACKEND_FAILURE_<n>
// carries the storage driver's own number, from the storage manager's error table). Also the list
// of transient codes the client retries by itself.

/** Codes that mean "not now": the operation did not start and may succeed when retried shortly. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set(['TOO_MANY_PENDING_TASKS', 'OTHER_OPERATION_IN_PROGRESS', 'HOST_STILL_BOOTING']);

export function isTransient(code: string): boolean {
  return TRANSIENT_CODES.has(code);
}

type Remedy = string | ((params: string[]) => string);

const p = (params: string[], i: number, fallback = '?'): string => params[i] ?? fallback;

const UPGRADE_SAME = 'bring both hosts to the same XenServer version and the same set of updates (xe host-param-get param-name=software-version), then retry';

const REMEDIES: Record<string, Remedy> = {
  // Logging in
  SESSION_AUTHENTICATION_FAILED: 'check username/password of the provider block (or of the pool member being joined); the account must be root or an RBAC account of that pool',
  SESSION_AUTHORIZATION_FAILED: 'the account logged in but holds no role allowing API access: give it the pool-admin role, or use root',
  SESSION_INVALID: 'the session expired or the coordinator restarted; run the command again',
  RBAC_PERMISSION_DENIED: 'the account lacks the role for this call: use an account with the pool-admin role',
  PERMISSION_DENIED: 'the account is not allowed to do this: use root or an account with the pool-admin role',
  HOST_IS_SLAVE: (ps) => `this host is a member of a pool whose coordinator is ${p(ps, 0)}: address the coordinator instead (the provider block follows this redirect by itself)`,
  HOST_MASTER_CANNOT_TALK_BACK: (ps) => `the coordinator cannot reach this host back at ${p(ps, 0)}: check routing and firewalls between the hosts' management networks (TCP 443)`,
  MESSAGE_METHOD_UNKNOWN: 'the host does not know this call: it runs an older XenServer than this provider supports; update the host',
  MESSAGE_PARAMETER_COUNT_MISMATCH: 'the host expects another signature for this call: its XenServer version differs from the one this provider supports; update the host',

  // Host state
  HOST_OFFLINE: 'the coordinator cannot reach this host: power it on and check its management network, or remove it from the configuration',
  HOST_STILL_BOOTING: 'the host is still starting its toolstack: wait a minute and retry (poolform already retried a few times)',
  HOST_NOT_LIVE: 'the host does not answer the coordinator\'s heartbeat: check its power and management network, then wait until it shows as live',
  HOST_DISABLED: 'the host is disabled (maintenance mode): enable it (xe host-enable) or let the running maintenance finish',
  HOST_NOT_DISABLED: 'the host must be disabled first (xe host-disable); poolform does this itself in its maintenance sequence',
  HOST_HAS_RESIDENT_VMS: 'VMs still run on the host: migrate or shut them down (xe host-evacuate) first',
  HOST_EVACUATE_IN_PROGRESS: 'an evacuation of this host is already running: wait for it to finish',
  HOST_NOT_ENOUGH_FREE_MEMORY: 'not enough free memory elsewhere in the pool: shut down or resize VMs, or add a host, then retry',
  CANNOT_EVACUATE_HOST: 'some VMs cannot move off this host (local disks, affinity, memory): shut them down or fix the reasons listed, then retry',
  CANNOT_CONTACT_HOST: 'the coordinator cannot reach that host: check its power and management network',
  HOST_POWER_ON_MODE_DISABLED: 'the host has no power-on mode: configure xenserver_host_power_on first',
  HOST_PENDING_MANDATORY_GUIDANCE_NOT_EMPTY: 'the host has updates waiting for a reboot or toolstack restart: apply that guidance (reboot the host) and retry',

  // Pool join and eject
  HA_IS_ENABLED: 'HA is enabled on the pool: disable it (xenserver_ha enabled = false) for this change, then enable it again',
  JOINING_HOST_CANNOT_CONTAIN_SHARED_SRS: 'the joining host has shared SRs of its own: detach and forget them on that host (xe pbd-unplug, xe sr-forget) before joining',
  JOINING_HOST_CANNOT_HAVE_RUNNING_VMS: 'VMs run on the joining host: shut them down or move them elsewhere before joining',
  JOINING_HOST_CANNOT_HAVE_RUNNING_OR_SUSPENDED_VMS: 'the joining host has running or suspended VMs: shut them down before joining',
  JOINING_HOST_CANNOT_HAVE_VMS_WITH_CURRENT_OPERATIONS: 'operations are in progress on the joining host\'s VMs: wait for them to finish and retry',
  JOINING_HOST_CANNOT_BE_MASTER_OF_OTHER_HOSTS: 'the joining host is the coordinator of another pool with members: eject those members (or dissolve that pool) first',
  JOINING_HOST_CONNECTION_FAILED: 'the joining host cannot connect to the coordinator: check that it reaches the coordinator\'s address on TCP 443 (routing, firewall, DNS)',
  JOINING_HOST_SERVICE_FAILED: 'the coordinator failed while adding the host: look at /var/log/xensource.log on the coordinator, then retry',
  POOL_JOINING_HOST_MUST_HAVE_SAME_API_VERSION: (ps) => `API versions differ (joining host ${p(ps, 0)}, coordinator ${p(ps, 1)}): ${UPGRADE_SAME}`,
  POOL_JOINING_HOST_MUST_HAVE_SAME_DB_SCHEMA: (ps) => `database schemas differ (joining host ${p(ps, 0)}, coordinator ${p(ps, 1)}): ${UPGRADE_SAME}`,
  POOL_JOINING_HOST_MUST_HAVE_SAME_PRODUCT_VERSION: `product versions differ: ${UPGRADE_SAME}`,
  HOST_XAPI_VERSION_HIGHER_THAN_COORDINATOR: 'the host runs a newer toolstack than the coordinator: update the coordinator first',
  POOL_JOINING_HOST_MANAGEMENT_VLAN_DOES_NOT_MATCH: (ps) => `management VLANs differ (joining host ${p(ps, 0)}, pool ${p(ps, 1)}): put the joining host's management interface on the pool's management VLAN first`,
  POOL_JOINING_HOST_HAS_BONDS: 'the joining host has bonds of its own: remove them (xe bond-destroy); the pool\'s bonds are created on it after it joins',
  POOL_JOINING_HOST_HAS_NON_MANAGEMENT_VLANS: 'the joining host has VLANs of its own: remove them; the pool\'s VLANs are created on it after it joins',
  POOL_JOINING_HOST_HAS_TUNNELS: 'the joining host has network tunnels: remove them before joining',
  POOL_JOINING_HOST_HAS_NETWORK_SRIOVS: 'the joining host has SR-IOV networks: remove them before joining',
  POOL_JOINING_HOST_MUST_HAVE_PHYSICAL_MANAGEMENT_NIC: 'the joining host\'s management interface is on a bond or VLAN: move it to a physical NIC before joining; poolform re-applies the pool\'s management placement afterwards',
  POOL_JOINING_HOST_MUST_ONLY_HAVE_PHYSICAL_PIFS: 'the joining host has virtual network interfaces (bonds, VLANs, tunnels): remove them before joining',
  POOL_JOINING_EXTERNAL_AUTH_MISMATCH: 'external authentication (AD) differs between the joining host and the pool: configure it the same way on both, or disable it on the joining host',
  POOL_JOINING_HOST_TLS_VERIFICATION_MISMATCH: 'TLS verification is enabled on one side only: enable it on both (xe pool-enable-tls-verification) before joining',
  POOL_JOINING_HOST_CA_CERTIFICATES_CONFLICT: 'the joining host and the pool trust different CA certificates under the same name: remove the conflicting one on the joining host',
  POOL_JOINING_HOST_TRUSTED_CERTIFICATES_CONFLICT: 'the joining host and the pool have conflicting trusted certificates: remove the conflicting one on the joining host',
  POOL_JOINING_SM_FEATURES_INCOMPATIBLE: 'the storage drivers differ between the joining host and the pool: install the same updates on both',
  HOSTS_NOT_HOMOGENEOUS: 'the hosts differ (CPU vendor or features, or software): use identical hardware and updates, or set force = true when only CPU features of the same vendor differ',
  HOSTS_NOT_COMPATIBLE: 'the joining host is not compatible with the pool (CPU vendor or features): use hosts with CPUs of the same vendor; set force = true only for feature differences',
  LICENSE_HOST_POOL_MISMATCH: 'the joining host\'s licence edition differs from the pool\'s: apply the same edition to both',
  LICENSE_DOES_NOT_SUPPORT_POOLING: 'the host\'s licence does not allow pooling: apply a licence that does',
  LICENSE_DOES_NOT_SUPPORT_XHA: 'the pool\'s licence does not include HA: apply a licence that does, or leave HA disabled',
  LICENCE_RESTRICTION: (ps) => `the licence does not include "${p(ps, 0)}": apply a licence edition that does, or avoid the feature`,
  LICENSE_EXPIRED: 'the licence expired: renew it',

  // HA
  HA_NOT_ENABLED: 'HA is not enabled on the pool',
  HA_TOO_FEW_HOSTS: 'the pool has too few hosts for HA: add hosts or leave HA disabled',
  HA_CONSTRAINT_VIOLATION_SR_NOT_SHARED: (ps) => `SR ${p(ps, 0)} is not shared: HA heartbeat SRs and protected VMs' disks must be on shared storage reachable from every host`,
  HA_CONSTRAINT_VIOLATION_NETWORK_NOT_SHARED: (ps) => `network ${p(ps, 0)} is not available on every host: protected VMs may only use pool-wide networks`,
  HA_HOST_CANNOT_ACCESS_STATEFILE: 'a host cannot reach the heartbeat SR: check that its PBD is plugged and the storage network works on every host',
  HA_HOST_CANNOT_SEE_PEERS: 'hosts cannot see each other on the heartbeat network: check the management network between all hosts',
  HA_HEARTBEAT_DAEMON_STARTUP_FAILED: 'the HA daemon did not start: check heartbeat SR access and the management network on every host',
  HA_FAILED_TO_FORM_LIVESET: 'the hosts could not agree on which are alive: check heartbeat SR access and the management network on every host',
  HA_OPERATION_WOULD_BREAK_FAILOVER_PLAN: 'this would leave too little capacity to restart protected VMs: lower host_failures_to_tolerate or add capacity',
  HA_NO_PLAN: 'the pool cannot tolerate the requested host failures: lower host_failures_to_tolerate (see max_failures_tolerable) or add capacity',
  HA_ENABLE_IN_PROGRESS: 'HA is being enabled: wait for that to finish',
  HA_DISABLE_IN_PROGRESS: 'HA is being disabled: wait for that to finish',
  HA_POOL_IS_ENABLED_BUT_HOST_IS_DISABLED: 'HA is on and the host is disabled: enable the host first',

  // Storage
  SR_BACKEND_FAILURE: 'the storage driver failed: check device_config and that every host reaches the storage target',
  SR_NOT_EMPTY: 'the SR still holds disks: move or delete them first',
  SR_HAS_PBD: 'the SR is still attached to hosts: unplug its PBDs first',
  SR_ATTACH_FAILED: 'the SR could not be attached: check device_config and that every host reaches the storage target',
  SR_NOT_SHARABLE: 'this SR cannot be shared by several hosts: use NFS or iSCSI storage for pool-wide SRs',
  SR_HAS_NO_PBDS: 'the SR is not connected to any host: create and plug its PBDs',
  SR_FULL: 'the SR is full: free space or use a larger SR',
  SR_UNKNOWN_DRIVER: (ps) => `no storage driver "${p(ps, 0)}" on this host: use type nfs or lvmoiscsi`,
  SR_DEVICE_IN_USE: 'the storage device is already used by another SR: point device_config at an unused export or LUN',
  PBD_EXISTS: 'the host already has a PBD for this SR',
  VDI_IN_USE: (ps) => `disk ${p(ps, 0)} is in use by a VM: shut the VM down or detach the disk first`,

  // Networking
  PIF_IS_MANAGEMENT_INTERFACE: 'this interface carries the host\'s management: move management elsewhere first (xenserver_management_interface), then change it',
  PIF_HAS_NO_NETWORK_CONFIGURATION: 'the interface has no IP configuration: give it one (PIF.reconfigure_ip) before moving management onto it; set ips in xenserver_management_interface if the host has no static management IP',
  PIF_DOES_NOT_ALLOW_UNPLUG: 'the interface is marked as not unpluggable (storage or management use): clear disallow_unplug first',
  PIF_ALLOWS_UNPLUG: 'the interface allows unplugging; nothing to do',
  PIF_ALREADY_BONDED: 'a member NIC is already in a bond: remove it from that bond first',
  PIF_BOND_NEEDS_MORE_MEMBERS: 'a bond needs at least two member NICs',
  PIF_BOND_MORE_THAN_ONE_IP: 'more than one bond member has an IP configuration: keep IP config on one member only (normally the management NIC)',
  PIF_CANNOT_BOND_CROSS_HOST: 'bond members must be NICs of the same host',
  PIF_VLAN_EXISTS: 'that NIC already has a VLAN with this tag',
  PIF_VLAN_STILL_EXISTS: 'VLANs still sit on this interface: remove them first',
  PIF_IS_VLAN: 'the interface is a VLAN: use the physical NIC or bond underneath',
  PIF_IS_NOT_PHYSICAL: 'the interface is not a physical NIC: use a physical NIC',
  PIF_IS_PHYSICAL: 'the interface is a physical NIC and cannot be destroyed: forget it instead',
  PIF_DEVICE_NOT_FOUND: 'no such NIC on the host: check the device names (eth0, eth1, ...) on every host',
  PIF_CONFIGURATION_ERROR: (ps) => `the host refused the interface configuration (${p(ps, 1, 'no detail')}): check IP, netmask and gateway`,
  PIF_NOT_PRESENT: 'the host has no interface on that network: create the VLAN or bond on it first',
  VLAN_TAG_INVALID: 'VLAN tags must be between 0 and 4094',
  VLAN_IN_USE: 'that VLAN tag is already used on this NIC',
  NETWORK_CONTAINS_PIF: 'the network is still attached to host interfaces: remove its bonds/VLANs first',
  NETWORK_CONTAINS_VIF: 'VMs are still connected to this network: remove their VIFs first',
  NETWORK_ALREADY_CONNECTED: 'the network is already connected to an interface on this host',
  HA_CANNOT_CHANGE_BOND_STATUS_OF_MGMT_IFACE: 'HA is enabled: disable it before bonding or unbonding the management interface',
  SLAVE_REQUIRES_MANAGEMENT_INTERFACE: 'a pool member must keep a management interface: move management, do not remove it',

  // Concurrency and generic
  TOO_MANY_PENDING_TASKS: 'the host is overloaded with tasks: poolform retried a few times; wait for running tasks to finish (xe task-list) and retry',
  OTHER_OPERATION_IN_PROGRESS: 'another operation holds this object: poolform retried a few times; wait for it to finish (xe task-list) and retry',
  OPERATION_NOT_ALLOWED: (ps) => `the host refused the operation${ps[0] ? ` (${ps[0]})` : ''}`,
  OPERATION_BLOCKED: 'the operation is blocked on this object (blocked_operations): unblock it if that is intended',
  HANDLE_INVALID: (ps) => `the ${p(ps, 0, 'object')} no longer exists (changed outside poolform?): run plan again to refresh`,
  UUID_INVALID: (ps) => `no ${p(ps, 0, 'object')} with uuid ${p(ps, 1)}: check the uuid in the configuration`,
  VM_BAD_POWER_STATE: (ps) => `the VM is ${p(ps, 2)} but must be ${p(ps, 1)}: change its power state first`,
  VM_CANNOT_DELETE_DEFAULT_TEMPLATE: 'built-in templates cannot be deleted',
  TASK_CANCELLED: 'the task was cancelled',
  INTERNAL_ERROR: 'the toolstack hit an internal error: look at /var/log/xensource.log on that host; retrying may help',
};

/** Storage-driver numbers (SR_BACKEND_FAILURE_<n>) an administrator commonly meets with NFS and iSCSI. */
const SR_BACKEND_REMEDIES: Record<number, string> = {
  68: 'iSCSI login failed: check the initiator\'s access on the target, and chapuser/chappassword if CHAP is used',
  72: 'the NFS server does not support the requested NFS version: change device_config.nfsversion',
  73: 'the NFS mount failed: check device_config server/serverpath and that the export allows every host',
  83: 'iSCSI discovery failed: check device_config target and port, and that every host reaches the portal',
  84: 'the target reports another IQN: check device_config targetIQN',
  96: 'the target IQN is missing or wrong: check device_config targetIQN',
  107: 'the LUN SCSIid is missing or wrong: check device_config SCSIid',
  108: 'no NFS service on that server: check device_config server and that NFS is running there',
  140: 'the storage server name does not resolve: check device_config server/target or use an IP address',
  141: 'cannot connect to the iSCSI service: check device_config target and port, and the storage network',
};

/** The advice for an XAPI error (a sentence), or undefined when there is none beyond the code itself. */
export function remedyFor(code: string, params: string[] = []): string | undefined {
  const text = lookup(code, params);
  return text === undefined ? undefined : text[0].toUpperCase() + text.slice(1);
}

function lookup(code: string, params: string[]): string | undefined {
  const direct = REMEDIES[code];
  if (direct !== undefined) return typeof direct === 'function' ? direct(params) : direct;
  const sm = /^SR_BACKEND_FAILURE_(\d+)$/.exec(code);
  if (sm) return SR_BACKEND_REMEDIES[Number(sm[1])] ?? (REMEDIES.SR_BACKEND_FAILURE as string);
  if (code.startsWith('POOL_JOINING_') || code.startsWith('JOINING_HOST_')) return 'a pool-join precondition failed on the joining host: fix it there and retry';
  return undefined;
}

/** Every code with a specific remedy (for tests that check them against the reference list). */
export function remedyCodes(): string[] {
  return Object.keys(REMEDIES);
}
