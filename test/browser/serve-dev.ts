// Development helper: the real service (buildApp) around the synthetic feed on 127.0.0.1, to look at
// the page by hand: node test/browser/serve-dev.ts [port] [token]
import { buildApp } from '../../src/server/app.ts';
import { SyntheticFeed } from './synthetic-feed.ts';

const port = Number(process.argv[2] ?? 8123);
const token = process.argv[3];
const feed = new SyntheticFeed();
await feed.start();
const app = await buildApp({ feed, token, history: feed });
await app.listen({ host: '127.0.0.1', port });
console.log(`http://127.0.0.1:${port}/${token ? `?token=${token}` : ''}`);
