// CIDR functions, IPv4 and IPv6: results checked against Terraform 1.11's, errors as it words them.

import { failed, invalid, runCases } from './functions-harness.js';
import type { Case } from './functions-harness.js';

const cases: Case[] = [
  ['cidrhost', ['10.12.112.0/20', 16], '10.12.112.16'],
  ['cidrhost', ['10.12.112.0/20', 268], '10.12.113.12'],
  ['cidrhost', ['10.12.112.0/20', -1], '10.12.127.255'],
  ['cidrhost', ['10.1.2.3/24', 5], '10.1.2.5'],
  ['cidrhost', ['010.1.2.0/24', 1], '10.1.2.1'],
  ['cidrhost', ['fd00:fd12:3456:7890::/56', 16], 'fd00:fd12:3456:7800::10'],
  ['cidrhost', ['fd00:fd12:3456:7890::/56', -1], 'fd00:fd12:3456:78ff:ffff:ffff:ffff:ffff'],
  ['cidrhost', ['::/0', -1], 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['cidrhost', ['2001:db8::/64', 1], '2001:db8::1'],
  // The longest run of zero groups is the one compressed.
  ['cidrhost', ['2001:db8:0:0:1::/96', 0], '2001:db8:0:0:1::'],
  ['cidrhost', ['10.12.112.0/20', 4096], failed('cidrhost', 'prefix of 20 does not accommodate a host numbered 4096.')],
  ['cidrhost', ['10.12.112.0/20', -4097], failed('cidrhost', 'prefix of 20 does not accommodate a host numbered -4097.')],
  ['cidrhost', ['10.0.0.0/8x', 1], failed('cidrhost', 'invalid CIDR expression: invalid CIDR address: 10.0.0.0/8x.')],
  ['cidrhost', ['10.0.0.256/8', 1], failed('cidrhost', 'invalid CIDR expression: invalid CIDR address: 10.0.0.256/8.')],

  ['cidrnetmask', ['172.16.0.0/12'], '255.240.0.0'],
  ['cidrnetmask', ['10.0.0.0/32'], '255.255.255.255'],
  ['cidrnetmask', ['0.0.0.0/0'], '0.0.0.0'],
  ['cidrnetmask', ['fd00::/8'], failed('cidrnetmask', 'IPv6 addresses cannot have a netmask: fd00::/8.')],
  ['cidrnetmask', ['10.0.0.0/33'], failed('cidrnetmask', 'invalid CIDR expression: invalid CIDR address: 10.0.0.0/33.')],

  ['cidrsubnet', ['172.16.0.0/12', 4, 2], '172.18.0.0/16'],
  ['cidrsubnet', ['10.1.2.0/24', 4, 15], '10.1.2.240/28'],
  ['cidrsubnet', ['10.1.2.0/24', 0, 0], '10.1.2.0/24'],
  ['cidrsubnet', ['10.1.2.0/24', -1, 0], '10.1.2.0/23'],
  ['cidrsubnet', ['10.0.0.0/8', 24, 16777215], '10.255.255.255/32'],
  ['cidrsubnet', ['fd00:fd12:3456:7890::/56', 16, 162], 'fd00:fd12:3456:7800:a200::/72'],
  ['cidrsubnet', ['::/0', 64, 1], '0:0:0:1::/64'],
  ['cidrsubnet', ['10.1.2.0/24', 4, 16], failed('cidrsubnet', 'prefix extension of 4 does not accommodate a subnet numbered 16.')],
  ['cidrsubnet', ['10.1.2.0/24', 9, 0], failed('cidrsubnet', 'insufficient address space to extend prefix of 24 by 9.')],
  ['cidrsubnet', ['10.1.2.0/24', 4, -1], failed('cidrsubnet', 'prefix extension of 4 does not accommodate a subnet numbered -1.')],

  ['cidrsubnets', ['10.1.0.0/16', 4, 4, 8, 4], ['10.1.0.0/20', '10.1.16.0/20', '10.1.32.0/24', '10.1.48.0/20']],
  ['cidrsubnets', ['10.1.0.0/16', 8, 4], ['10.1.0.0/24', '10.1.16.0/20']],
  ['cidrsubnets', ['fd00:fd12:3456:7890::/56', 16, 16, 16, 32], ['fd00:fd12:3456:7800::/72', 'fd00:fd12:3456:7800:100::/72', 'fd00:fd12:3456:7800:200::/72', 'fd00:fd12:3456:7800:300::/88']],
  ['cidrsubnets', ['10.1.0.0/16'], []],
  ['cidrsubnets', ['10.0.0.0/8', 1, 1], ['10.0.0.0/9', '10.128.0.0/9']],
  // Terraform's allocator starts from the subnet before the network, which wraps for 0.0.0.0/0.
  ['cidrsubnets', ['0.0.0.0/0', 1, 1], invalid('newbits', 'not enough remaining address space for a subnet with a prefix of 1 bits after 128.0.0.0/1.', 1)],
  ['cidrsubnets', ['::/0', 1], invalid('newbits', 'not enough remaining address space for a subnet with a prefix of 1 bits after 8000::/1.', 1)],
  ['cidrsubnets', ['10.1.0.0/16', 17], invalid('newbits', 'would extend prefix to 33 bits, which is too long for an IPv4 address.', 1)],
  ['cidrsubnets', ['10.1.0.0/16', 1, 1, 1], invalid('newbits', 'not enough remaining address space for a subnet with a prefix of 17 bits after 10.1.128.0/17.', 3)],
  ['cidrsubnets', ['10.1.0.0/16', 0], invalid('newbits', 'must extend prefix by at least one bit.', 1)],
  ['cidrsubnets', ['10.1.0.0/16', 4, -1], invalid('newbits', 'must extend prefix by at least one bit.', 2)],
  ['cidrsubnets', ['fd00::/8', 121], invalid('newbits', 'would extend prefix to 129 bits, which is too long for an IPv6 address.', 1)],
];

runCases('network', cases);
