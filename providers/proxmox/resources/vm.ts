// proxmox_vm: a clone of a template (POST /nodes/{template's node}/qemu/{template}/clone, a "qmclone"
// task onto `node`), with cores/memory/onboot set afterwards and a start if asked. Many clones of
// one template at once are the normal case: the new ids come from vmid.ts (held per process, so
// parallel steps never pick the same one); the platform holds the template's config lock for each
// clone's whole task, and the others wait for it in the platform's lock wait and the client's
// lock retries. A failure after the clone destroys the clone again. Delete stops a running VM,
// then destroys it.

import type { Diagnostic } from '../../../engine/diagnostics.js';
import { nearestName } from '../../../engine/diagnostics.js';
import type { Attrs, Observed, PlannedChange, ProviderContext } from '../../../engine/provider.js';
import type { Params } from '../client/types.js';
import { memoryOf, nodeClient, qemuPath, readConfigs } from '../guest-config.js';
import type { PveSession } from '../session.js';
import { flag, type Rec, type Snapshot } from '../snapshot.js';
import { createWithVmid } from '../vmid.js';
import type { PveResourceType } from './types.js';
import { membersAfterPlan } from '../preflight/storage.js';
import { isUnknown, storageProblem } from './vm-template.js';

const TYPE = 'proxmox_vm';

function vmAttrs(vmid: number, node: string, cfg: Rec, status: string | undefined): Attrs {
  return {
    id: String(vmid),
    node,
    vmid,
    name: typeof cfg.name === 'string' ? cfg.name : '',
    cores: Number(cfg.cores ?? 1),
    memory: memoryOf(cfg) ?? 512,
    onboot: flag(cfg.onboot),
    status: status ?? 'unknown',
  };
}

/** What apply remembers but the platform cannot tell: how the VM was made and whether to start it. */
function configOnly(a: Attrs): Attrs {
  return { clone_from: a.clone_from, full: a.full === true, target_storage: a.target_storage ?? null, start: a.start === true };
}

async function observe(snap: Snapshot, ids: string[], s: PveSession, signal?: AbortSignal): Promise<Observed[]> {
  const guests = ids.map((id) => snap.guests?.get(Number(id))).filter((g) => g !== undefined && g.type === 'qemu');
  const cfgs = await readConfigs(s, guests.map((g) => ({ vmid: g!.vmid, node: g!.node })), signal);
  const out: Observed[] = [];
  for (const g of guests) {
    const cfg = cfgs.get(g!.vmid);
    // Its node did not answer: seen in /cluster/resources, so not gone; nothing observed now.
    if (cfg === null) out.push({ id: String(g!.vmid), attrs: { id: String(g!.vmid) } });
    else if (cfg) out.push({ id: String(g!.vmid), attrs: vmAttrs(g!.vmid, g!.node, cfg, g!.status) });
  }
  return out;
}

/** The guest's node and status now (fresh), or undefined when it is gone. */
async function locate(s: PveSession, vmid: number, signal?: AbortSignal): Promise<{ node: string; status?: string; template: boolean } | undefined> {
  s.invalidate();
  const g = (await s.snapshot(['resources'], signal)).guests?.get(vmid);
  return g ? { node: g.node, status: g.status, template: g.template } : undefined;
}

async function readBack(s: PveSession, vmid: number, a: Attrs, signal?: AbortSignal): Promise<Attrs> {
  const where = await locate(s, vmid, signal);
  if (!where) throw new Error(`${TYPE}: VM ${vmid} is not in /cluster/resources after the write`);
  const cfg = (await readConfigs(s, [{ vmid, node: where.node }], signal)).get(vmid);
  if (!cfg) throw new Error(`${TYPE}: VM ${vmid} has no configuration on ${where.node}`);
  return { ...vmAttrs(vmid, where.node, cfg, where.status), ...configOnly(a) };
}

/** Stops (if running) and destroys a VM. */
async function destroy(s: PveSession, node: string, vmid: number, running: boolean, what: string, ctx: ProviderContext): Promise<void> {
  const c = await nodeClient(s, node, ctx.signal);
  try {
    if (running) {
      ctx.log(`${what}: stopping it`);
      await c.task('POST', qemuPath(node, vmid, '/status/stop'), undefined, s.taskOptions(ctx));
    }
    ctx.log(`${what}: destroying it`);
    await c.task('DELETE', qemuPath(node, vmid), undefined, s.taskOptions(ctx));
  } catch (e) {
    throw new Error(`${what}: ${running ? 'stopping and ' : ''}destroying it on ${node} failed: ${(e as Error).message}`, { cause: e });
  }
}

/** cores/memory/onboot edits against the VM's configuration. */
function settings(cfg: Rec, a: Attrs, creating: boolean): Params {
  const p: Params = {};
  if (!creating && typeof a.name === 'string' && a.name !== cfg.name) p.name = a.name;
  if (typeof a.cores === 'number' && a.cores !== Number(cfg.cores ?? 1)) p.cores = a.cores;
  if (typeof a.memory === 'number' && a.memory !== (memoryOf(cfg) ?? 512)) p.memory = a.memory;
  if ((a.onboot === true) !== flag(cfg.onboot)) p.onboot = a.onboot === true ? 1 : 0;
  return p;
}

async function start(s: PveSession, node: string, vmid: number, ctx: ProviderContext): Promise<void> {
  ctx.log(`${TYPE} VM ${vmid}: starting it`);
  await (await nodeClient(s, node, ctx.signal)).task('POST', qemuPath(node, vmid, '/status/start'), undefined, s.taskOptions(ctx));
}

async function preflight(changes: PlannedChange[], s: PveSession, all: PlannedChange[], signal?: AbortSignal): Promise<Diagnostic[]> {
  const out: Diagnostic[] = [];
  const todo = changes.filter((c) => c.after && (c.action === 'create' || c.action === 'replace'));
  if (todo.length === 0) return out;
  const snap = await s.snapshot(['resources', 'storage', 'status'], signal);
  const members = membersAfterPlan(snap, all) ?? [];
  for (const c of todo) {
    const a = c.after!;
    const err = (summary: string, detail: string, suggestion?: string) => out.push({ severity: 'error', address: c.address, summary, detail, suggestion });
    const node = typeof a.node === 'string' ? a.node : undefined;
    if (node && members.length && !members.includes(node)) err(`Node ${node} is not in the cluster`, `The cluster's nodes are ${members.join(', ')}.`, nearestName(node, members));
    if (typeof a.clone_from === 'number') {
      const t = snap.guests?.get(a.clone_from);
      const planned = all.some((x) => x.type === 'proxmox_vm_template' && x.action !== 'delete' && (x.after?.vmid === a.clone_from || isUnknown(x.after?.vmid)));
      if (!t && !planned) {
        const templates = [...(snap.guests?.values() ?? [])].filter((g) => g.template).map((g) => `${g.vmid}${g.name ? ` (${g.name})` : ''}`);
        err(`Template ${a.clone_from} does not exist`, `The cluster's templates: ${templates.join(', ') || 'none'}. Use a proxmox_vm_template's vmid.`);
      } else if (t && !t.template && a.full !== true) {
        err(`VM ${a.clone_from} is not a template`, `A linked clone (full = false) needs a template as its source; convert ${a.clone_from} to a template, or set full = true for a full copy.`);
      }
    }
    if (a.target_storage !== undefined && a.target_storage !== null && a.full !== true) err('target_storage applies to full clones only', 'A linked clone shares the template\'s disks on the template\'s storage; set full = true to copy the disks onto target_storage.');
    if (node && a.full === true) {
      const p = storageProblem(snap, all, a.target_storage, node, 'target_storage');
      if (p) err(p.summary, p.detail, p.suggestion);
    }
    if (typeof a.vmid === 'number') {
      const g = snap.guests?.get(a.vmid);
      if (g) err(`VMID ${a.vmid} is taken`, `It is ${g.template ? 'template' : 'VM'} ${g.name ?? ''} on ${g.node}. Leave vmid out to have one allocated, or choose a free one.`);
    }
  }
  return out;
}

export const vm: PveResourceType = {
  parts: ['resources'],
  observe,

  async create(s, attrs, ctx) {
    const node = String(attrs.node);
    const tplId = Number(attrs.clone_from);
    const what = `${TYPE} "${String(attrs.name)}"`;
    const tpl = await locate(s, tplId, ctx.signal);
    if (!tpl) throw new Error(`${what}: template ${tplId} does not exist`);
    const src = await nodeClient(s, tpl.node, ctx.signal);
    const full = attrs.full === true;
    const params: Params = { name: String(attrs.name), full: full ? 1 : 0 };
    if (node !== tpl.node) params.target = node;
    if (full && typeof attrs.target_storage === 'string') params.storage = attrs.target_storage;
    const clone = async (newid: number) => {
      ctx.log(`${what}: cloning template ${tplId} (on ${tpl.node}) to VM ${newid} on ${node}`);
      await src.task('POST', qemuPath(tpl.node, tplId, '/clone'), { newid, ...params }, s.taskOptions(ctx));
    };
    let vmid: number;
    try {
      vmid = await createWithVmid(attrs.vmid, async () => (await s.api(ctx.signal)).client, s.target, clone, ctx.signal);
    } catch (e) {
      throw new Error(`${what}: cloning template ${tplId} failed: ${(e as Error).message}`, { cause: e });
    }
    try {
      const c = await nodeClient(s, node, ctx.signal);
      const cfg = (await readConfigs(s, [{ vmid, node }], ctx.signal)).get(vmid) ?? {};
      const p = settings(cfg, attrs, true);
      if (Object.keys(p).length) await c.put(qemuPath(node, vmid, '/config'), p, { signal: ctx.signal, step: ctx.step });
      if (attrs.start === true) await start(s, node, vmid, ctx);
    } catch (e) {
      let undo = 'the clone was destroyed again';
      try {
        const where = await locate(s, vmid, ctx.signal);
        if (where) await destroy(s, where.node, vmid, running(where.status), `${what} (VM ${vmid})`, { ...ctx, task: undefined });
      } catch (e2) {
        undo = `destroying the clone again failed too (${(e2 as Error).message}): remove VM ${vmid} by hand`;
      }
      throw new Error(`${what}: setting up VM ${vmid} failed: ${(e as Error).message}; ${undo}`, { cause: e });
    }
    return { id: String(vmid), attrs: await readBack(s, vmid, attrs, ctx.signal) };
  },

  async update(s, id, before, after, ctx) {
    const vmid = Number(id);
    const what = `${TYPE} "${String(after.name)}" (${vmid})`;
    const where = await locate(s, vmid, ctx.signal);
    if (!where) throw new Error(`${what} no longer exists (removed outside poolform): plan again to create it`);
    const cfg = (await readConfigs(s, [{ vmid, node: where.node }], ctx.signal)).get(vmid) ?? {};
    const p = settings(cfg, after, false);
    try {
      if (Object.keys(p).length) await (await nodeClient(s, where.node, ctx.signal)).put(qemuPath(where.node, vmid, '/config'), p, { signal: ctx.signal, step: ctx.step });
      if (after.start === true && before.start !== true && !running(where.status)) await start(s, where.node, vmid, ctx);
    } catch (e) {
      throw new Error(`${what}: updating it on ${where.node} failed: ${(e as Error).message}`, { cause: e });
    }
    return { id, attrs: await readBack(s, vmid, after, ctx.signal) };
  },

  async delete(s, id, attrs, ctx) {
    const vmid = Number(id);
    const where = await locate(s, vmid, ctx.signal);
    if (!where) return {};
    await destroy(s, where.node, vmid, running(where.status), `${TYPE} "${String(attrs.name ?? id)}" (${vmid})`, ctx);
    return {};
  },

  preflight: (changes, s, ctx, all) => preflight(changes, s, all, ctx.signal),

  impact(change) {
    if (change.action === 'noop' || change.action === 'read') return 'none';
    if (change.action === 'delete' || change.action === 'replace') return 'vm-restart';
    return 'live';
  },
};

function running(status: string | undefined): boolean {
  return status === 'running' || status === 'paused';
}
