// Ports for tests and benchmarks, without the race of "find a free port, close it, hope the program
// gets it" (anything — another test file, another outgoing connection — may take the port between
// the close and the program's bind). The choice, in order:
//   1. The program binds port 0 and tells us which port it got: our own servers (listen on 0 and
//      read the address; `chainprice serve/edge --port 0` and the URL they print), nats-server
//      (`port: -1` and its "Listening for client connections on" line), zeromq sockets (bind
//      `tcp://127.0.0.1:*` and read `lastEndpoint`). No race at all.
//   2. A program that must be told its ports up front (bitcoind: RPC and ZMQ) gets `freePorts`, and
//      `withFreePorts` starts it again on fresh ports when it reports one taken (`PortTaken`).
//   3. A restart on the same ports (a node or nats-server killed and brought back, as the clients
//      know its address) cannot move: it says clearly which port was taken.
// A port where nothing listens, for "connection refused" tests: CLOSED_PORT.

import { createServer, type Server } from 'node:net';

/** Port 1 (tcpmux): nothing serves it, and only root may bind it, so no test or program takes it. */
export const CLOSED_PORT = 1;

/** A program found a port it was given taken: start it again on fresh ports. */
export class PortTaken extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortTaken';
  }
}

/** Starts that find a port taken before giving up: each takes fresh ports, and a clash is rare. */
const PORT_ATTEMPTS = 5;

/**
 * `n` distinct loopback ports the kernel just handed out (held together, so never the same port
 * twice), closed again for the program to bind: use with `withFreePorts`, or only where a lost race
 * fails loudly and harmlessly (a benchmark).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', resolve);
      });
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0];
}

/**
 * Runs `start` with `n` free ports; when it throws `PortTaken` (the program lost one of them to
 * someone else before binding it), runs it again with fresh ones, up to PORT_ATTEMPTS times.
 * `start` must clean up after itself before throwing.
 */
export async function withFreePorts<T>(n: number, start: (ports: number[]) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(await freePorts(n));
    } catch (error) {
      if (!(error instanceof PortTaken) || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}
