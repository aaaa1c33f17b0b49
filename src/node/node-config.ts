// Where the node is and how to talk to it: command-line flags, CHAINPRICE_* environment variables
// and the node's own bitcoin.conf in, one NodeConfig out. Precedence: flags > environment >
// bitcoin.conf (its network section first) > defaults. Authentication is the node's cookie file of
// the selected network by default, or rpcuser/rpcpassword when given. The config holds where the
// secret is, never prints it: `describeNodeConfig` is safe to log.

import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EXIT, UserError } from '../errors.ts';
import { type BitcoinConf, confValue, mergeConf, parseBitcoinConf } from './bitcoin-conf.ts';
import { datadirSubfolder, defaultRpcPort, NETWORKS, type Network, parseNetwork } from './network.ts';

export type ZmqTopic = 'rawtx' | 'sequence' | 'rawblock';
export const ZMQ_TOPICS: readonly ZmqTopic[] = ['rawtx', 'sequence', 'rawblock'];
export type ZmqEndpoints = Partial<Record<ZmqTopic, string>>;

export type RpcAuth =
  | { kind: 'cookie'; cookieFile: string }
  | { kind: 'password'; user: string; password: string };

/** Where a setting came from, for messages like "port 8332 (from bitcoin.conf)". */
export type SettingOrigin = 'flag' | 'environment' | 'bitcoin.conf' | 'default';

export interface NodeConfig {
  network: Network;
  datadir: string;
  /** The bitcoin.conf that was read, or null when there was none. */
  confFile: string | null;
  rpc: { host: string; port: number; auth: RpcAuth; timeoutMs: number };
  /** ZMQ endpoints given by the user; missing topics are discovered from the node. */
  zmq: ZmqEndpoints;
  origin: { network: SettingOrigin; host: SettingOrigin; port: SettingOrigin; auth: SettingOrigin };
}

/** Node settings as given on the command line (src/commands/node-options.ts); all optional. */
export interface NodeFlags {
  network?: string;
  datadir?: string;
  conf?: string;
  rpcHost?: string;
  rpcPort?: string;
  rpcUser?: string;
  rpcPassword?: string;
  rpcCookieFile?: string;
  rpcTimeout?: string;
  zmqRawtx?: string;
  zmqSequence?: string;
  zmqRawblock?: string;
}

/** The outside world the resolution reads; tests pass their own. */
export interface ConfigEnvironment {
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  homedir: string;
  cwd: string;
  /** The file's text, or null when it does not exist. Other read errors throw. */
  readFile: (file: string) => string | null;
}

/** Environment variable for each flag. */
export const NODE_ENV: Record<keyof NodeFlags, string> = {
  network: 'CHAINPRICE_NETWORK',
  datadir: 'CHAINPRICE_DATADIR',
  conf: 'CHAINPRICE_CONF',
  rpcHost: 'CHAINPRICE_RPC_HOST',
  rpcPort: 'CHAINPRICE_RPC_PORT',
  rpcUser: 'CHAINPRICE_RPC_USER',
  rpcPassword: 'CHAINPRICE_RPC_PASSWORD',
  rpcCookieFile: 'CHAINPRICE_RPC_COOKIE_FILE',
  rpcTimeout: 'CHAINPRICE_RPC_TIMEOUT',
  zmqRawtx: 'CHAINPRICE_ZMQ_RAWTX',
  zmqSequence: 'CHAINPRICE_ZMQ_SEQUENCE',
  zmqRawblock: 'CHAINPRICE_ZMQ_RAWBLOCK',
};

/** Long enough for a batch of a few hundred transactions or one large block on a busy node. */
export const DEFAULT_RPC_TIMEOUT_SECONDS = 60;
/** The node listens for RPC on the loopback interface unless told otherwise. */
const DEFAULT_RPC_HOST = '127.0.0.1';

export function defaultEnvironment(): ConfigEnvironment {
  return {
    env: process.env,
    platform: process.platform,
    homedir: os.homedir(),
    cwd: process.cwd(),
    readFile: (file) => {
      try {
        return readFileSync(file, 'utf8');
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        throw new UserError(`cannot read ${file}: ${(error as Error).message}.`, {
          hint: 'check the file permissions (chainprice needs to read it).',
        });
      }
    },
  };
}

/** The node's default data directory on this operating system. */
export function defaultDatadir(
  platform: NodeJS.Platform,
  homedir: string,
  env: ConfigEnvironment['env'],
): string {
  if (platform === 'win32') {
    const base = env.APPDATA ?? env.LOCALAPPDATA ?? path.win32.join(homedir, 'AppData', 'Roaming');
    return path.win32.join(base, 'Bitcoin');
  }
  if (platform === 'darwin') return path.join(homedir, 'Library', 'Application Support', 'Bitcoin');
  return path.join(homedir, '.bitcoin');
}

/** Resolves flags, environment and bitcoin.conf into one NodeConfig, or throws a UserError that says what is wrong. */
export function resolveNodeConfig(
  flags: NodeFlags = {},
  world: ConfigEnvironment = defaultEnvironment(),
): NodeConfig {
  const pick = (key: keyof NodeFlags): { value: string; origin: SettingOrigin } | null => {
    const flag = flags[key];
    if (flag !== undefined && flag !== '') return { value: flag, origin: 'flag' };
    const env = world.env[NODE_ENV[key]];
    if (env !== undefined && env !== '') return { value: env, origin: 'environment' };
    return null;
  };
  const here = (p: string) => path.resolve(world.cwd, expandHome(p, world.homedir));

  // Datadir and conf file: the conf may itself move the datadir.
  const datadirSetting = pick('datadir');
  let datadir = datadirSetting
    ? here(datadirSetting.value)
    : defaultDatadir(world.platform, world.homedir, world.env);
  const confSetting = pick('conf');
  const confFile = confSetting ? here(confSetting.value) : path.join(datadir, 'bitcoin.conf');
  const confText = world.readFile(confFile);
  if (confText === null && confSetting) {
    throw new UserError(
      `the bitcoin.conf given by ${describeOrigin(confSetting.origin, 'conf')} does not exist: ${confFile}.`,
      {
        hint: "pass the path of the node's bitcoin.conf, or leave it out to use the node's defaults.",
      },
    );
  }
  const conf = confText === null ? emptyConf() : parseConf(confText, confFile);
  const confDatadir = confValue(conf, '', 'datadir');
  if (!datadirSetting && confDatadir) datadir = here(confDatadir);
  if (confText !== null) includeConfs(conf, confFile, datadir, world);

  // Network.
  const networkSetting = pick('network');
  let network: Network = 'main';
  let networkOrigin: SettingOrigin = 'default';
  if (networkSetting) {
    const parsed = parseNetwork(networkSetting.value);
    if (parsed === null) {
      throw new UserError(
        `unknown network "${networkSetting.value}" (from ${describeOrigin(networkSetting.origin, 'network')}).`,
        {
          hint: `use one of ${NETWORKS.join(', ')}.`,
          exitCode: EXIT.usage,
        },
      );
    }
    network = parsed;
    networkOrigin = networkSetting.origin;
  } else {
    const fromConf = networkFromConf(conf);
    if (fromConf) {
      network = fromConf;
      networkOrigin = 'bitcoin.conf';
    }
  }
  const section = network;

  // RPC endpoint.
  const hostSetting = pick('rpcHost');
  const confConnect = confValue(conf, section, 'rpcconnect');
  let host = DEFAULT_RPC_HOST;
  let hostOrigin: SettingOrigin = 'default';
  let portFromHost: string | null = null;
  const rawHost = hostSetting?.value ?? confConnect;
  if (rawHost !== undefined) {
    const split = splitHostPort(rawHost);
    host = split.host;
    portFromHost = split.port;
    hostOrigin = hostSetting ? hostSetting.origin : 'bitcoin.conf';
  }
  const portSetting = pick('rpcPort');
  let port = defaultRpcPort(network);
  let portOrigin: SettingOrigin = 'default';
  const rawPort = portSetting?.value ?? portFromHost ?? confValue(conf, section, 'rpcport');
  if (rawPort !== undefined && rawPort !== null) {
    port = parsePort(rawPort, portSetting ? describeOrigin(portSetting.origin, 'rpcPort') : 'bitcoin.conf');
    portOrigin = portSetting ? portSetting.origin : portFromHost !== null ? hostOrigin : 'bitcoin.conf';
  }

  // Authentication: an explicit user/password or cookie file wins in precedence order; the cookie of the network is the default.
  const netDatadir = path.join(datadir, datadirSubfolder(network));
  const { auth, origin: authOrigin } = resolveAuth(pick, conf, section, netDatadir, here);

  const timeoutSetting = pick('rpcTimeout');
  let timeoutMs = DEFAULT_RPC_TIMEOUT_SECONDS * 1000;
  if (timeoutSetting) {
    const seconds = Number(timeoutSetting.value);
    if (!Number.isFinite(seconds) || seconds <= 0) {
      throw new UserError(
        `RPC timeout must be a positive number of seconds, not "${timeoutSetting.value}".`,
        {
          exitCode: EXIT.usage,
        },
      );
    }
    timeoutMs = Math.round(seconds * 1000);
  }

  const zmq: ZmqEndpoints = {};
  const zmqKeys: Record<ZmqTopic, keyof NodeFlags> = {
    rawtx: 'zmqRawtx',
    sequence: 'zmqSequence',
    rawblock: 'zmqRawblock',
  };
  for (const topic of Object.keys(zmqKeys) as ZmqTopic[]) {
    const value = pick(zmqKeys[topic])?.value ?? confValue(conf, section, `zmqpub${topic}`);
    if (value !== undefined) zmq[topic] = value;
  }

  return {
    network,
    datadir,
    confFile: confText === null ? null : confFile,
    rpc: { host, port, auth, timeoutMs },
    zmq,
    origin: { network: networkOrigin, host: hostOrigin, port: portOrigin, auth: authOrigin },
  };
}

function resolveAuth(
  pick: (key: keyof NodeFlags) => { value: string; origin: SettingOrigin } | null,
  conf: BitcoinConf,
  section: string,
  netDatadir: string,
  here: (p: string) => string,
): { auth: RpcAuth; origin: SettingOrigin } {
  const user = pick('rpcUser');
  const password = pick('rpcPassword');
  const cookie = pick('rpcCookieFile');
  const rank = (o: SettingOrigin | undefined) => (o === 'flag' ? 0 : o === 'environment' ? 1 : 2);
  if ((user && !password) || (!user && password)) {
    const given = user ? 'an RPC user' : 'an RPC password';
    throw new UserError(`${given} was given without ${user ? 'a password' : 'a user'}.`, {
      hint: `set both ${NODE_ENV.rpcUser} and ${NODE_ENV.rpcPassword} (or --rpc-user and --rpc-password), or neither to use the cookie file.`,
      exitCode: EXIT.usage,
    });
  }
  if (user && password && (!cookie || rank(user.origin) <= rank(cookie.origin))) {
    return { auth: { kind: 'password', user: user.value, password: password.value }, origin: user.origin };
  }
  if (cookie) return { auth: { kind: 'cookie', cookieFile: here(cookie.value) }, origin: cookie.origin };
  const confUser = confValue(conf, section, 'rpcuser');
  const confPassword = confValue(conf, section, 'rpcpassword');
  if (confUser !== undefined && confPassword !== undefined) {
    return { auth: { kind: 'password', user: confUser, password: confPassword }, origin: 'bitcoin.conf' };
  }
  const confCookie = confValue(conf, section, 'rpccookiefile');
  if (confCookie !== undefined) {
    return {
      auth: { kind: 'cookie', cookieFile: path.resolve(netDatadir, confCookie) },
      origin: 'bitcoin.conf',
    };
  }
  return { auth: { kind: 'cookie', cookieFile: path.join(netDatadir, '.cookie') }, origin: 'default' };
}

function networkFromConf(conf: BitcoinConf): Network | null {
  const chain = conf.top.get('chain')?.at(-1);
  if (chain !== undefined) {
    const parsed = parseNetwork(chain);
    if (parsed === null) {
      throw new UserError(`bitcoin.conf sets an unknown chain "${chain}".`, {
        hint: `use one of ${NETWORKS.join(', ')}.`,
      });
    }
    return parsed;
  }
  const on = (option: string) => {
    const v = conf.top.get(option)?.at(-1);
    return v !== undefined && v !== '0';
  };
  if (on('regtest')) return 'regtest';
  if (on('testnet4')) return 'testnet4';
  if (on('testnet')) return 'test';
  if (on('signet')) return 'signet';
  return null;
}

function parseConf(text: string, file: string): BitcoinConf {
  const { conf, errors } = parseBitcoinConf(text);
  if (errors.length > 0) {
    const first = errors[0];
    throw new UserError(`${file} line ${first.line}: ${first.message}.`, {
      hint: 'fix that line of bitcoin.conf.',
    });
  }
  return conf;
}

/** Merges includeconf files (relative to the datadir, as the node reads them), one level deep like the node. */
function includeConfs(conf: BitcoinConf, file: string, datadir: string, world: ConfigEnvironment): void {
  for (const include of conf.top.get('includeconf') ?? []) {
    const includeFile = path.resolve(datadir, include);
    const includeText = world.readFile(includeFile);
    if (includeText === null) {
      throw new UserError(`${file} includes ${includeFile}, which does not exist.`, {
        hint: 'fix the includeconf line.',
      });
    }
    const parsed = parseBitcoinConf(includeText);
    if (parsed.errors.length > 0) {
      const first = parsed.errors[0];
      throw new UserError(`${includeFile} line ${first.line}: ${first.message}.`, { hint: 'fix that line.' });
    }
    mergeConf(conf, parsed.conf);
  }
}

function emptyConf(): BitcoinConf {
  return { top: new Map(), sections: new Map() };
}

function expandHome(p: string, homedir: string): string {
  return p === '~' ? homedir : p.startsWith('~/') ? path.join(homedir, p.slice(2)) : p;
}

function splitHostPort(value: string): { host: string; port: string | null } {
  const v = value.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(v);
  if (bracketed) return { host: bracketed[1], port: bracketed[2] ?? null };
  const parts = v.split(':');
  if (parts.length === 2) return { host: parts[0], port: parts[1] };
  return { host: v, port: null };
}

function parsePort(value: string, from: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new UserError(`RPC port must be a number from 1 to 65535, not "${value}" (from ${from}).`, {
      exitCode: EXIT.usage,
    });
  }
  return port;
}

function describeOrigin(origin: SettingOrigin, key: keyof NodeFlags): string {
  if (origin === 'flag') return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (origin === 'environment') return NODE_ENV[key];
  return origin;
}

/** One line on where chainprice looks for the node; never contains a password. */
export function describeNodeConfig(config: NodeConfig): string {
  const auth =
    config.rpc.auth.kind === 'cookie'
      ? `cookie ${config.rpc.auth.cookieFile}`
      : `user "${config.rpc.auth.user}" with a password (from ${config.origin.auth})`;
  return `${config.network} node at ${config.rpc.host}:${config.rpc.port} (port from ${config.origin.port}; auth: ${auth})`;
}
