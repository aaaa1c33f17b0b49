// The node-box packages' files, read as the boxes read them: deploy/umbrel is laid out as umbrelOS
// reads a community app store, its app's manifest has Umbrel's fields and the Bitcoin app as its
// one dependency, and its compose file puts app_proxy in front of the web service, which reaches
// the node only through what the Umbrel Bitcoin app exports. The package's version is the same in
// package.json, the Umbrel manifest, the image the compose file names and the StartOS package.
// (test/integration/umbrel runs the app's service; npm test type-checks deploy/startos.)

import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { serveCommand } from '../../src/commands/serve-options.ts';
import { UMBREL_EXPORTS } from './umbrel-exports.ts';
import { parseYaml, substitute, type YamlValue } from './yaml-subset.ts';

type Mapping = { [key: string]: YamlValue };

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const STORE = join(ROOT, 'deploy/umbrel');
const APP = join(STORE, 'chainprice-live');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** The environment variables chainprice serve reads (its options' declarations). */
const SERVE_READS = new Set(
  Object.values(serveCommand.options as Record<string, { env?: string }>).flatMap((o) => o.env ?? []),
);

function readYaml(file: string): Mapping {
  return parseYaml(readFileSync(file, 'utf8')) as Mapping;
}

describe('the Umbrel app store (deploy/umbrel)', () => {
  test('is laid out as umbrelOS reads a community store: apps one level down, ids prefixed with the store id', () => {
    const store = readYaml(join(STORE, 'umbrel-app-store.yml'));
    assert.match(String(store.id), /^[a-z]+(-[a-z]+)*$/);
    assert.ok(typeof store.name === 'string' && store.name.length > 0);
    const apps = readdirSync(STORE).filter((entry) => statSync(join(STORE, entry)).isDirectory());
    assert.deepEqual(apps, ['chainprice-live']);
    for (const app of apps) {
      const manifest = readYaml(join(STORE, app, 'umbrel-app.yml'));
      assert.equal(manifest.id, app, 'the folder is named after the app id');
      assert.ok(String(manifest.id).startsWith(`${store.id}-`), 'the app id starts with the store id');
    }
  });

  test("the manifest: Umbrel's fields, the Bitcoin app as its one dependency, the package's version", () => {
    const manifest = readYaml(join(APP, 'umbrel-app.yml'));
    for (const field of [
      'manifestVersion',
      'id',
      'category',
      'name',
      'version',
      'tagline',
      'description',
      'releaseNotes',
      'developer',
      'website',
      'dependencies',
      'repo',
      'support',
      'port',
      'gallery',
      'path',
      'submitter',
    ])
      assert.ok(field in manifest, `umbrel-app.yml has ${field}`);
    assert.equal(manifest.manifestVersion, 1);
    assert.equal(manifest.category, 'bitcoin');
    assert.deepEqual(manifest.dependencies, ['bitcoin']);
    assert.equal(manifest.version, VERSION);
    assert.ok(Number.isInteger(manifest.port) && (manifest.port as number) > 1024);
    assert.ok(String(manifest.description).length > 100);
    assert.match(String(manifest.icon), /^https:\/\/.+\.svg$/);
  });

  test('the compose file: app_proxy in front of the web service, which reaches the node only through the exports', () => {
    const services = readYaml(join(APP, 'docker-compose.yml')).services as Mapping;
    const proxy = (services.app_proxy as Mapping).environment as Mapping;
    const web = services.web as Mapping;
    const environment = web.environment as Mapping;
    assert.equal(proxy.APP_HOST, 'chainprice-live_web_1', '<app id>_<service>_1, as umbrelOS names it');
    assert.equal(
      String(proxy.APP_PORT),
      String(environment.CHAINPRICE_PORT),
      'app_proxy forwards to the service',
    );
    assert.equal(web.user, '1000:1000');
    assert.equal(web.restart, 'on-failure');
    assert.match(
      String(web.image),
      new RegExp(`^[\\w.-]+/[\\w.-]+/chainprice:${VERSION}(@sha256:[0-9a-f]{64})?$`),
    );
    // Every variable is one Umbrel provides: substitute throws on any other.
    const env = Object.fromEntries(UMBREL_EXPORTS.map((name) => [name, `<${name}>`]));
    const resolved = Object.fromEntries(
      Object.entries(environment).map(([key, value]) => [key, substitute(String(value), env)]),
    );
    assert.equal(resolved.CHAINPRICE_RPC_HOST, '<APP_BITCOIN_NODE_IP>');
    assert.equal(resolved.CHAINPRICE_RPC_USER, '<APP_BITCOIN_RPC_USER>');
    assert.equal(resolved.CHAINPRICE_RPC_PASSWORD, '<APP_BITCOIN_RPC_PASS>');
    assert.equal(resolved.CHAINPRICE_NETWORK, '<APP_BITCOIN_NETWORK>');
    for (const topic of ['RAWTX', 'SEQUENCE', 'RAWBLOCK'])
      assert.equal(
        resolved[`CHAINPRICE_ZMQ_${topic}`],
        `tcp://<APP_BITCOIN_NODE_IP>:<APP_BITCOIN_ZMQ_${topic}_PORT>`,
      );
    assert.deepEqual(
      (web.volumes as string[]).map((v) => substitute(v, env)),
      ['<APP_DATA_DIR>/data:/data', '<APP_BITCOIN_DATA_DIR>:/bitcoin:ro'],
    );
    assert.equal(environment.CHAINPRICE_DATADIR, '/bitcoin');
    assert.equal(environment.CHAINPRICE_DATA_DIR, '/data');
    assert.equal(environment.CHAINPRICE_MAX_STALL_S, '3');
    for (const name of Object.keys(environment)) assert.ok(SERVE_READS.has(name), `serve reads ${name}`);
  });
});

test("the StartOS package's version is the package's", () => {
  const versions = readFileSync(join(ROOT, 'deploy/startos/startos/versions/index.ts'), 'utf8');
  const current = /version: '([^':]+):(\d+)'/.exec(versions);
  assert.ok(current, 'deploy/startos/startos/versions/index.ts names its version as UPSTREAM:REVISION');
  assert.equal(current[1], VERSION);
});

test('every CHAINPRICE_ variable the StartOS daemon sets is one chainprice serve reads', () => {
  const main = readFileSync(join(ROOT, 'deploy/startos/startos/main.ts'), 'utf8');
  const names = [...main.matchAll(/\b(CHAINPRICE_[A-Z0-9_]+):/g)].map((m) => m[1]);
  assert.ok(names.includes('CHAINPRICE_MAX_STALL_S'), JSON.stringify(names));
  for (const name of names) assert.ok(SERVE_READS.has(name), `serve reads ${name}`);
});
