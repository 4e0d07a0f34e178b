// Starting and stopping a simulated host's listening socket, shared by its HTTPS endpoint
// (server.ts) and its SSH daemon (ssh-agent.ts): both bind on loopback, report the port they got
// (0 asks the OS for a free one), and on stop cut their open connections so close() completes.

import type { Server } from 'node:net';

/** Listens on host:port (127.0.0.1 and a free port by default); resolves with the bound port. */
export async function listenOn(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
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
export async function closeServer(server: Server, dropConnections: () => void): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  dropConnections();
  await closed;
}
