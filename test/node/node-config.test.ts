// Config resolution: flags > CHAINPRICE_* environment > bitcoin.conf (network sections) > defaults.
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { UserError } from '../../src/errors.ts';
import { confValue, parseBitcoinConf } from '../../src/node/bitcoin-conf.ts';
import {
  type ConfigEnvironment,
  describeNodeConfig,
  type NodeFlags,
  resolveNodeConfig,
} from '../../src/node/node-config.ts';

const HOME = '/home/alice';
const DATADIR = path.join(HOME, '.bitcoin');

function world(files: Record<string, string>, env: Record<string, string> = {}): ConfigEnvironment {
  return {
    env,
    platform: 'linux',
    homedir: HOME,
    cwd: '/work',
    readFile: (file) => files[file] ?? null,
  };
}

function resolve(flags: NodeFlags, files: Record<string, string> = {}, env: Record<string, string> = {}) {
  return resolveNodeConfig(flags, world(files, env));
}

describe('bitcoin.conf parsing', () => {
  it('reads top-level options, sections, dotted options, negations and comments', () => {
    const { conf, errors } = parseBitcoinConf(
      [
        '# comment',
        'server=1',
        'rpcport=1111  # main only',
        'nolisten=1',
        '[regtest]',
        'rpcport=2222',
        'test.rpcport=3333',
        '',
      ].join('\n'),
    );
    assert.deepEqual(errors, []);
    assert.equal(confValue(conf, 'main', 'rpcport'), '1111');
    assert.equal(confValue(conf, 'regtest', 'rpcport'), '2222');
    assert.equal(confValue(conf, 'test', 'rpcport'), '3333');
    assert.equal(confValue(conf, 'signet', 'rpcport'), undefined, 'rpcport at the top applies to main only');
    assert.equal(confValue(conf, 'signet', 'server'), '1');
    assert.equal(confValue(conf, 'main', 'listen'), '0');
  });

  it('reports malformed lines with their number', () => {
    const { errors } = parseBitcoinConf('server=1\n[regtest\n=5\n');
    assert.deepEqual(
      errors.map((e) => e.line),
      [2, 3],
    );
  });
});

describe('node config resolution', () => {
  it('defaults to mainnet on 127.0.0.1:8332 with the cookie in ~/.bitcoin', () => {
    const config = resolve({});
    assert.equal(config.network, 'main');
    assert.equal(config.rpc.host, '127.0.0.1');
    assert.equal(config.rpc.port, 8332);
    assert.deepEqual(config.rpc.auth, { kind: 'cookie', cookieFile: path.join(DATADIR, '.cookie') });
    assert.equal(config.confFile, null);
    assert.deepEqual(config.zmq, {});
  });

  it("takes the network from bitcoin.conf and uses that network's section, port and cookie", () => {
    const conf = [
      'regtest=1',
      'rpcport=9999',
      '[regtest]',
      'zmqpubrawtx=tcp://127.0.0.1:28332',
      'zmqpubsequence=tcp://127.0.0.1:28333',
    ].join('\n');
    const config = resolve({}, { [path.join(DATADIR, 'bitcoin.conf')]: conf });
    assert.equal(config.network, 'regtest');
    assert.equal(config.rpc.port, 18443, 'a top-level rpcport does not apply to regtest');
    assert.deepEqual(config.rpc.auth, {
      kind: 'cookie',
      cookieFile: path.join(DATADIR, 'regtest', '.cookie'),
    });
    assert.deepEqual(config.zmq, { rawtx: 'tcp://127.0.0.1:28332', sequence: 'tcp://127.0.0.1:28333' });
    assert.equal(config.origin.network, 'bitcoin.conf');
  });

  it('lets the environment beat bitcoin.conf and flags beat the environment', () => {
    const files = { [path.join(DATADIR, 'bitcoin.conf')]: 'signet=1\n[signet]\nrpcport=1000\n' };
    const env = { CHAINPRICE_RPC_PORT: '2000', CHAINPRICE_NETWORK: 'signet' };
    assert.equal(resolve({}, files).rpc.port, 1000);
    assert.equal(resolve({}, files, env).rpc.port, 2000);
    const flagged = resolve({ rpcPort: '3000' }, files, env);
    assert.equal(flagged.rpc.port, 3000);
    assert.equal(flagged.origin.port, 'flag');
    assert.equal(resolve({ network: 'testnet4' }, files, env).network, 'testnet4');
  });

  it('uses rpcuser/rpcpassword from bitcoin.conf, and a flag cookie file over them', () => {
    const files = { [path.join(DATADIR, 'bitcoin.conf')]: 'rpcuser=bob\nrpcpassword=s3cret\n' };
    assert.deepEqual(resolve({}, files).rpc.auth, { kind: 'password', user: 'bob', password: 's3cret' });
    assert.deepEqual(resolve({ rpcCookieFile: 'my.cookie' }, files).rpc.auth, {
      kind: 'cookie',
      cookieFile: '/work/my.cookie',
    });
  });

  it('never puts the password in the description', () => {
    const config = resolve({ rpcUser: 'bob', rpcPassword: 'hunter2-secret' });
    assert.doesNotMatch(describeNodeConfig(config), /hunter2/);
    assert.match(describeNodeConfig(config), /bob/);
  });

  it('follows --datadir, --conf, datadir= and includeconf', () => {
    const files = {
      '/etc/bitcoin.conf': 'datadir=/srv/btc\nincludeconf=extra.conf\n',
      '/srv/btc/extra.conf': 'testnet=1\n[test]\nrpcconnect=127.0.0.2:5555\n',
    };
    const config = resolve({ conf: '/etc/bitcoin.conf' }, files);
    assert.equal(config.datadir, '/srv/btc');
    assert.equal(config.network, 'test');
    assert.equal(config.rpc.host, '127.0.0.2');
    assert.equal(config.rpc.port, 5555);
    assert.deepEqual(config.rpc.auth, { kind: 'cookie', cookieFile: '/srv/btc/testnet3/.cookie' });
  });

  it('uses the OS default datadir', () => {
    const mac = resolveNodeConfig({}, { ...world({}), platform: 'darwin' });
    assert.equal(mac.datadir, path.join(HOME, 'Library', 'Application Support', 'Bitcoin'));
    const win = resolveNodeConfig(
      {},
      { ...world({}, { APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }), platform: 'win32' },
    );
    assert.equal(win.datadir, 'C:\\Users\\a\\AppData\\Roaming\\Bitcoin');
  });

  it('rejects bad input with one clear sentence', () => {
    const bad: [NodeFlags, Record<string, string>, RegExp][] = [
      [{ network: 'moonnet' }, {}, /unknown network "moonnet"/],
      [{ rpcPort: '70000' }, {}, /RPC port must be a number from 1 to 65535/],
      [{ rpcUser: 'bob' }, {}, /RPC user was given without a password/],
      [{ conf: '/nope.conf' }, {}, /does not exist: \/nope.conf/],
      [{ rpcTimeout: '-1' }, {}, /RPC timeout must be a positive number/],
      [{}, { [path.join(DATADIR, 'bitcoin.conf')]: '[main\n' }, /line 1: malformed section header/],
    ];
    for (const [flags, files, message] of bad) {
      assert.throws(
        () => resolve(flags, files),
        (error: unknown) => error instanceof UserError && message.test(error.message),
      );
    }
  });
});
