// The built-in `poolform` provider: resources with no platform behind them, like Terraform's
// `terraform_data`. `poolform_data` carries a value through plan/apply (`input` -> `output`) and
// can force replacements (`triggers_replace`). It does no I/O: its objects live only in state.

import { randomUUID } from 'node:crypto';
import type { Attrs, ObserveRequest, Observed, OperationResult, Provider, Session } from '../../engine/provider.js';
import { loadSchemaDir, schemaDir } from '../../engine/schema/load.js';
import type { ResourceSchema } from '../../engine/schema/types.js';

/**
 * A provider whose objects exist only in poolform's state. The engine must not observe (refresh)
 * its resources: the state is the truth, there is no drift, and an object is never "gone".
 * Optional; absent means false.
 */
export interface StateOnlyProvider extends Provider {
  readonly stateOnly: true;
}

let schemas: ResourceSchema[] | undefined;

const session: Session = {
  target: 'poolform (built in)',
  close: async () => {},
};

function withOutput(id: string, attrs: Attrs): OperationResult {
  return {
    id,
    attrs: {
      id,
      input: attrs.input ?? null,
      output: attrs.input ?? null,
      triggers_replace: attrs.triggers_replace ?? null,
    },
  };
}

function checkType(type: string): void {
  if (type !== 'poolform_data') throw new Error(`the poolform provider has no resource type "${type}"`);
}

export const providerPoolform: StateOnlyProvider = {
  name: 'poolform',
  stateOnly: true,
  // Loaded on first use so importing the provider does no file I/O.
  get schemas(): ResourceSchema[] {
    return (schemas ??= loadSchemaDir(schemaDir(), 'poolform').filter((s) => s.kind !== 'provider'));
  },

  async connect(): Promise<Session> {
    return session;
  },

  /**
   * Nothing to observe. The result has no entry for poolform's types, meaning "not observed"
   * (as opposed to an empty list, "none exist"); the engine skips stateOnly providers anyway.
   */
  async observe(_session: Session, _requests: ObserveRequest[]): Promise<Map<string, Observed[]>> {
    return new Map();
  },

  impact() {
    return 'none';
  },

  async create(_session, type, attrs) {
    checkType(type);
    return withOutput(randomUUID(), attrs);
  },

  async update(_session, type, id, _before, after) {
    checkType(type);
    return withOutput(id, after);
  },

  async delete(_session, type) {
    checkType(type);
    return {};
  },
};

export default providerPoolform;
