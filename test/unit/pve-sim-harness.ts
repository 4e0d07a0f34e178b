// Shared set-up for the Proxmox simulator's unit tests: an instant lab of N standalone nodes
// (latencyScale 0: tasks still have to be polled), request helpers that call the model directly,
// task waiting, cluster building, and the shared reference when it is present.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import type { ApiResponse } from '../../providers/proxmox/sim/backend.js';
import { LAB_PASSWORD, PveSim, type NodeSpec, type SimOptions } from '../../providers/proxmox/sim/cluster.js';

export const REFERENCE = '/work/shared/reference/pve-api.json';
export const reference: Record<string, any> | undefined = existsSync(REFERENCE) ? JSON.parse(readFileSync(REFERENCE, 'utf8')) : undefined;

export const TOKEN = { id: 'root@pam!poolform', secret: '0b7c6a3e-4f1d-4c55-9a59-3d5a0c2e9f11' };

export function fp(i: number): string {
  return Array.from({ length: 32 }, (_, k) => ((i * 16 + k) & 0xff).toString(16).toUpperCase().padStart(2, '0')).join(':');
}

export function lab(n: number, specs: Partial<NodeSpec>[] = [], extra: Partial<SimOptions> = {}): PveSim {
  const nodes: NodeSpec[] = Array.from({ length: n }, (_, i) => ({ name: `pve${i + 1}`, ip: `10.20.0.${11 + i}`, ...(specs[i] ?? {}) }));
  return new PveSim({
    nodes,
    password: LAB_PASSWORD,
    token: TOKEN,
    latencyScale: 0,
    fingerprints: Object.fromEntries(nodes.map((s, i) => [s.name, fp(i + 1)])),
    ...extra,
  });
}

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export function call(sim: PveSim, node: string, method: Method, path: string, params: Record<string, string | number> = {}): Promise<ApiResponse> {
  return sim.handle({ node, method, path, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])), user: 'root@pam' });
}

/** Calls and expects success; returns data. */
export async function ok<T = any>(sim: PveSim, node: string, method: Method, path: string, params: Record<string, string | number> = {}): Promise<T> {
  const res = await call(sim, node, method, path, params);
  assert.equal(res.status, 200, `${method} ${path} on ${node}: ${res.status} ${res.message ?? ''} ${JSON.stringify(res.errors ?? {})}`);
  return res.data as T;
}

/** Calls and expects failure with `status`; returns the response. */
export async function fails(sim: PveSim, node: string, method: Method, path: string, params: Record<string, string | number>, status: number, message?: RegExp): Promise<ApiResponse> {
  const res = await call(sim, node, method, path, params);
  assert.equal(res.status, status, `${method} ${path} on ${node}: expected ${status}, got ${res.status} ${res.message ?? ''} ${JSON.stringify(res.errors ?? {})}`);
  if (message) assert.match(res.message ?? '', message);
  return res;
}

export interface TaskStatus {
  upid: string;
  node: string;
  type: string;
  id: string;
  status: 'running' | 'stopped';
  exitstatus?: string;
}

export async function waitTask(sim: PveSim, node: string, upid: string): Promise<TaskStatus> {
  const taskNode = upid.split(':')[1]!;
  for (let i = 0; i < 2000; i++) {
    const st = await ok<TaskStatus>(sim, node, 'GET', `/nodes/${taskNode}/tasks/${encodeURIComponent(upid)}/status`);
    if (st.status === 'stopped') return st;
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`task ${upid} did not finish`);
}

/** Submits a task call, waits for it, expects OK. */
export async function task(sim: PveSim, node: string, method: Method, path: string, params: Record<string, string | number> = {}): Promise<TaskStatus> {
  const upid = await ok<string>(sim, node, method, path, params);
  assert.match(upid, /^UPID:/);
  const st = await waitTask(sim, node, upid);
  assert.equal(st.exitstatus, 'OK', `${method} ${path}: task failed: ${st.exitstatus}`);
  return st;
}

/** Submits a task call, waits for it, expects it to fail; returns the exit status. */
export async function taskFails(sim: PveSim, node: string, method: Method, path: string, params: Record<string, string | number> = {}): Promise<string> {
  const upid = await ok<string>(sim, node, method, path, params);
  const st = await waitTask(sim, node, upid);
  assert.notEqual(st.exitstatus, 'OK', `${method} ${path}: task unexpectedly succeeded`);
  return st.exitstatus ?? '';
}

/** A cluster "lab" of the first `n` nodes, created on pve1 with two links and joined over the API. */
export async function cluster(sim: PveSim, n: number, name = 'lab'): Promise<void> {
  await task(sim, 'pve1', 'POST', '/cluster/config', { clustername: name, link0: '10.20.10.11', link1: '10.20.20.11' });
  for (let i = 2; i <= n; i++) {
    await task(sim, `pve${i}`, 'POST', '/cluster/config/join', { hostname: '10.20.0.11', fingerprint: fp(1), password: LAB_PASSWORD, link0: `10.20.10.${10 + i}`, link1: `10.20.20.${10 + i}` });
  }
}
