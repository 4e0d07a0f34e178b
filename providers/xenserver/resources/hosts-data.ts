// Data source xenserver_hosts: every host of the pool by name, with what configurations usually
// need to refer to them (uuid, management address and IP, enabled, coordinator).

import { bool, managementPif, str } from '../facts.js';
import type { DataSourceType } from './types.js';

export const hostsData: DataSourceType = {
  read(snap) {
    const [, pool] = snap.pool();
    const hosts: Record<string, { uuid: string; address: string; enabled: boolean; coordinator: boolean; management_ip: string }> = {};
    for (const [ref, h] of snap.all('host')) {
      // Names are not unique in XAPI: an unnamed host, or a second one of a name, is listed by uuid.
      const name = str(h.name_label) && !(str(h.name_label) in hosts) ? str(h.name_label) : h.uuid;
      hosts[name] = {
        uuid: h.uuid,
        address: str(h.address),
        enabled: bool(h.enabled),
        coordinator: str(pool.master) === ref,
        management_ip: str(managementPif(snap, ref)?.[1].IP),
      };
    }
    return { hosts };
  },
};
