// Run by http-service.test.ts: a bare Fastify app served by src/server/http-service.ts, whose close
// never ends when CHAINPRICE_TEST_CLOSE_HANGS=1 (so a second signal can arrive while it closes).

import Fastify from 'fastify';
import { listen } from '../../src/server/http-service.ts';

const app = Fastify();
const service = await listen(app, {
  host: '127.0.0.1',
  port: 0,
  command: 'serve',
  token: undefined,
  what: 'a test',
  close: async () => {
    if (process.env.CHAINPRICE_TEST_CLOSE_HANGS === '1') await new Promise(() => {});
    await app.close();
  },
  log: (line) => console.error(`chainprice: ${line}`),
});
process.exitCode = await service.stopped;
