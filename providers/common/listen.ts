// Starting and stopping a simulated host's listening socket, shared by both simulators' HTTPS
// endpoints (sim/server.ts) and SSH daemons (ssh-exec-server.ts): each binds on loopback, reports
// the port it got (0 asks the OS for a free one), tracks its open connections so a host that goes
// off can cut them, and on stop cuts them so close() completes.

import type { Server } from 'node:net';

/** Listens on host:port (127.0.0.1 and a free port by default); resolves with the bound port. */
async function listenOn(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const addr = server.address();
  return typeof addr === 'object' && addr ? addr.port : 0;
}

/** Closes the server after `dropConnections` has ended the ones still open (close waits for them). */
async function closeServer(server: Server, dropConnections: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  dropConnections();
  await closed;
}

/** What a tracked connection must offer: a way to learn it closed. */
interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * A simulated host's listening socket with its open connections: it starts on loopback, reports
 * its port, and can cut every open connection (the host went off) or stop (cutting them, so
 * close() completes). Both simulators' HTTPS endpoints and SSH daemons are one of these.
 */
export class TrackedListener<C extends Closable> {
  private readonly open = new Set<C>();
  private bound = 0;

  constructor(
    private readonly server: Server,
    /** Ends one connection (destroy a socket, end an SSH session). */
    private readonly cut: (c: C) => void,
    private readonly at: { port?: number; host?: string } = {},
  ) {}

  /** Remembers `c` until it closes. */
  track(c: C): void {
    this.open.add(c);
    c.once('close', () => this.open.delete(c));
  }

  get port(): number {
    return this.bound;
  }

  async start(): Promise<number> {
    this.bound = await listenOn(this.server, this.at.port, this.at.host);
    return this.bound;
  }

  /** Cuts every open connection; the listener keeps accepting. */
  dropAll(): void {
    for (const c of this.open) this.cut(c);
  }

  /** Stops listening, cutting open connections first (and running `also`, e.g. closeAllConnections). */
  stop(also?: () => void): Promise<void> {
    return closeServer(this.server, () => {
      this.dropAll();
      also?.();
    });
  }
}
