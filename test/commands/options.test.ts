// Every option of every command, from the commands' own declarations (so a new option is covered
// by itself): both spellings (`--x v`, `--x=v`) give the same value, a flag is true when given,
// the environment fills in below the flag, --help lists it; an unknown or misspelt option is
// refused in one line that names the nearest option; then explicit cases for the values each
// option refuses and the rules across options.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { COMMANDS } from '../../src/commands/command-list.ts';
import { type CommandLine, flagName } from '../../src/commands/options.ts';
import { EXIT, UserError } from '../../src/errors.ts';

/** A value the option accepts: its declared example, else any text (an option that checks its value must declare one). */
function sample(line: CommandLine, key: string): string {
  const o = line.options[key];
  return o.type === 'string' ? (o.example ?? 'some-value') : '';
}

/** The UserError the parse throws. */
function refusal(run: () => unknown): UserError {
  try {
    run();
  } catch (error) {
    if (error instanceof UserError) return error;
    throw error;
  }
  assert.fail('no error');
}

for (const { line } of COMMANDS) {
  describe(`chainprice ${line.name}`, () => {
    for (const [key, o] of Object.entries(line.options)) {
      const name = flagName(key);
      if (o.type === 'boolean') {
        test(`${name}: true when given, false when not`, () => {
          assert.equal(line.values([name], {}).values[key], true);
          assert.equal(line.values([], {}).values[key], false);
        });
        test(`${name}=x is refused in one line`, () => {
          const error = refusal(() => line.values([`${name}=x`], {}));
          assert.equal(error.exitCode, EXIT.usage);
          assert.equal(
            error.message,
            `${line.name}: ${name} takes no value (chainprice ${line.name} --help)`,
          );
        });
        continue;
      }
      const text = sample(line, key);
      test(`${name} ${text} and ${name}=${text} give the same value`, () => {
        const spaced = line.values([name, text], {}).values[key];
        const joined = line.values([`${name}=${text}`], {}).values[key];
        assert.notEqual(spaced, undefined);
        assert.deepEqual(spaced, joined);
        if (o.multiple) {
          assert.equal((spaced as unknown[]).length, 1);
          assert.deepEqual(line.values([name, text, `${name}=${text}`], {}).values[key], [
            ...(spaced as unknown[]),
            ...(spaced as unknown[]),
          ]);
        } else {
          assert.deepEqual(
            line.values([name, 'ignored', `${name}=${text}`], {}).values[key],
            joined,
            'last wins',
          );
        }
      });
      test(`${name} without a value is refused in one line`, () => {
        const error = refusal(() => line.values([name], {}));
        assert.equal(error.exitCode, EXIT.usage);
        assert.equal(error.message, `${line.name}: ${name} needs a value (chainprice ${line.name} --help)`);
        assert.equal(error.hint, undefined);
      });
      if (o.env !== undefined && !o.envReadElsewhere) {
        test(`${name}: flag > ${o.env} > default`, () => {
          const flagged = line.values([name, text], {}).values[key];
          assert.deepEqual(line.values([], { [o.env!]: text }).values[key], flagged);
          assert.deepEqual(line.values([name, text], { [o.env!]: 'not used' }).values[key], flagged);
          assert.deepEqual(line.values([], { [o.env!]: '' }).values[key], line.values([], {}).values[key]);
        });
      }
      if (o.envReadElsewhere) {
        test(`${name}: ${o.env} is left to the code that ranks it (node-config.ts)`, () => {
          assert.equal(line.values([], { [o.env!]: text }).values[key], undefined);
        });
      }
      if (o.default !== undefined) {
        test(`${name}: defaults to ${o.default}`, () => {
          assert.deepEqual(line.values([], {}).values[key], line.values([name, o.default!], {}).values[key]);
        });
      }
    }

    test('--help lists every option, with its value and variable', () => {
      for (const [key, o] of Object.entries(line.options)) {
        const name = flagName(key);
        assert.match(
          line.help,
          new RegExp(`(^|\\s)${name}${o.type === 'string' ? ` ${o.value}` : ''}[\\s,]`),
          name,
        );
        if (o.type === 'string' && o.env !== undefined) assert.ok(line.help.includes(o.env), o.env);
      }
      assert.match(line.help, new RegExp(`^Usage: chainprice ${line.name}`));
      assert.match(line.help, /-h, --help/);
    });

    test('an unknown option is refused in one line, with where to look', () => {
      const error = refusal(() => line.values(['--frobnicate'], {}));
      assert.equal(error.exitCode, EXIT.usage);
      assert.equal(
        error.message,
        `${line.name}: unknown option --frobnicate (chainprice ${line.name} --help)`,
      );
      assert.equal(error.hint, undefined, 'one line: no hint line');
    });

    test('a misspelt option names the option meant', () => {
      for (const key of Object.keys(line.options)) {
        const name = flagName(key).slice(2);
        const at = [...name].findIndex((c, i) => i > 0 && name[i + 1] !== undefined && name[i + 1] !== c);
        if (at === -1) continue;
        const typo = `--${name.slice(0, at)}${name[at + 1]}${name[at]}${name.slice(at + 2)}`;
        const error = refusal(() => line.values([typo, sample(line, key)], {}));
        assert.equal(
          error.message,
          `${line.name}: unknown option ${typo}. Did you mean --${name}? (chainprice ${line.name} --help)`,
        );
      }
    });
  });
}

describe('the commands, as cli.ts lists them', () => {
  test('each command once, with a one-line summary', () => {
    const names = COMMANDS.map(({ line }) => line.name);
    assert.deepEqual(names, [...new Set(names)]);
    for (const { line } of COMMANDS) assert.match(line.summary, /^[a-z][^\n]{10,100}$/, line.name);
  });
});

const command = (name: string) => COMMANDS.find(({ line }) => line.name === name)!.line;

describe('values each option refuses', () => {
  const cases: [string, string[], RegExp][] = [
    ['serve', ['--port', '70000'], /^serve: --port needs a port number from 1 to 65535/],
    ['serve', ['--port=8o'], /--port needs a port number/],
    ['edge', ['--port=-1'], /--port needs a port number/],
    ['serve', ['--token', 'two words'], /--token must be printable ASCII without spaces/],
    [
      'serve',
      ['--allow-origin', 'https://a.example/path'],
      /--allow-origin: "https:\/\/a\.example\/path" is not an origin/,
    ],
    ['serve', ['--allow-origin=nonsense'], /--allow-origin: "nonsense" is not an origin/],
    ['serve', ['--demo-speed=0'], /--demo-speed needs a positive number, not "0"/],
    ['serve', ['--demo-seed', '1.5'], /--demo-seed needs a whole number, not "1.5"/],
    ['serve', ['--max-rss', 'lots'], /--max-rss needs a positive number/],
    ['serve', ['--max-stall=0'], /--max-stall needs a positive number, not "0"/],
    ['serve', ['--price-hint', 'sixty'], /--price-hint needs a price in US dollars per bitcoin/],
    [
      'edge',
      ['--network', 'mars'],
      /^edge: --network is one of demo, main, test, testnet4, signet, regtest, not "mars"$/,
    ],
    ['estimate', ['--seed=-5'], /^estimate: --seed needs a positive price in USD per BTC, not "-5"$/],
    ['estimate', ['--seed', 'abc'], /--seed needs a positive price/],
    ['blocks', ['--last', '0'], /^blocks: --last needs a whole number of blocks from 1 to 4320, not "0"\.$/],
    ['blocks', ['--last=5000'], /--last needs a whole number of blocks/],
    ['history', ['--workers', 'many'], /--workers "many" is not a number of threads/],
    ['history', ['--block-files=maybe'], /--block-files is auto, on or off, not "maybe"/],
    ['history', ['--from', 'yesterday'], /--from "yesterday" is neither a block height nor a date/],
    ['history', ['--to=2024-02-30'], /"2024-02-30" is not a date/],
  ];
  for (const [name, args, pattern] of cases) {
    test(`${name} ${args.join(' ')}`, () => {
      const error = refusal(() => command(name).values(args, {}));
      assert.match(error.message, pattern);
      assert.equal(error.exitCode, EXIT.usage);
      assert.ok(error.hint, 'a hint');
      assert.ok(!error.message.includes('\n'));
    });
  }

  test('a bad value from the environment names the variable', () => {
    const error = refusal(() => command('serve').values([], { CHAINPRICE_PORT: 'eighty' }));
    assert.match(error.message, /^serve: CHAINPRICE_PORT needs a port number/);
  });

  test('values are converted: ports, prices, origins, bytes', () => {
    const serve = command('serve').values(
      ['--port=0', '--price-hint', '$97,250.5', '--allow-origin', 'HTTPS://Example.com/', '--max-rss=300'],
      { CHAINPRICE_ALLOW_ORIGIN: 'https://ignored.example' },
    ).values;
    assert.equal(serve.port, 0);
    assert.equal(serve.priceHint, 97_250.5);
    assert.deepEqual(serve.allowOrigin, ['https://example.com']);
    assert.equal(serve.maxRss, 300 * 2 ** 20);
    assert.equal(command('serve').values([], { CHAINPRICE_MAX_STALL_S: '2.5' }).values.maxStall, 2.5);
    const fromEnv = command('edge').values([], {
      CHAINPRICE_ALLOW_ORIGIN: 'https://a.example, ,https://b.example',
    });
    assert.deepEqual(fromEnv.values.allowOrigin, ['https://a.example', 'https://b.example']);
  });

  test('positionals: repeated where a command takes several, refused where it takes none', () => {
    const estimate = command('estimate').parse(
      ['a.raw', '--seed=48000', 'b.raw', '--json', '--', '--c.raw'],
      {},
    );
    assert.deepEqual(estimate, { files: ['a.raw', 'b.raw', '--c.raw'], seed: 48_000, json: true });
    const error = refusal(() => command('serve').values(['--demo', 'extra'], {}));
    assert.equal(error.message, 'serve: unexpected argument "extra" (chainprice serve --help)');
  });
});

describe('node options', () => {
  test("parsed beside the command's own, in both spellings", () => {
    const day = command('day').parse(
      ['--regtest', '--rpc-port=1234', '--json', '--datadir', '/d', '2024-04-20'],
      {},
    );
    assert.deepEqual(day, {
      date: '2024-04-20',
      json: true,
      node: { network: 'regtest', rpcPort: '1234', datadir: '/d' },
    });
  });

  test('a value option needs its value', () => {
    assert.throws(() => command('blocks').parse(['--rpc-port'], {}), /--rpc-port needs a value/);
    assert.throws(() => command('blocks').parse(['--conf', '--json'], {}), /--conf needs a value/);
  });

  test('one network: a shortcut and --network agree or are refused', () => {
    assert.deepEqual(command('blocks').parse(['--network', 'mainnet', '--mainnet'], {}), {
      last: 144,
      json: false,
      node: { network: 'mainnet' },
    });
    assert.throws(
      () => command('blocks').parse(['--signet', '--network=regtest'], {}),
      (error: UserError) =>
        /^blocks: two networks given \(regtest and signet\): give one$/.test(error.message),
    );
  });

  test('their variables are not applied here (node-config.ts ranks them above bitcoin.conf)', () => {
    const node = (name: string, args: string[], env: Record<string, string>) =>
      (command(name).parse(args, env) as { node: object }).node;
    assert.deepEqual(node('blocks', [], { CHAINPRICE_NETWORK: 'regtest' }), {});
    assert.deepEqual(node('serve', ['--demo'], { CHAINPRICE_RPC_PORT: '1' }), {});
  });
});

describe('rules across options', () => {
  const cases: [string, string[], RegExp][] = [
    ['serve', ['--demo-burst'], /^serve: the --demo-… options only apply with --demo$/],
    ['serve', ['--demo', '--rpc-port', '1'], /^serve: node options do not apply with --demo$/],
    ['edge', [], /^edge: --nats URL is required/],
    ['estimate', ['--json'], /^estimate: no block file given$/],
    ['day', [], /^day: which day\? Give it as YYYY-MM-DD \(UTC\)$/],
    ['day', ['2024-04-20', '2024-04-21'], /^day: give exactly one day$/],
    ['day', ['2999-01-01'], /^day: 2999-01-01 has not begun yet \(UTC\)\.$/],
    ['day', ['2024-13-01'], /"2024-13-01" is not a date/],
    ['history', [], /^history: build or show\?$/],
    ['history', ['rebuild'], /^history: unknown subcommand "rebuild"$/],
    ['history', ['show', '--csv', '--json'], /^history: --csv or --json: choose one$/],
  ];
  for (const [name, args, pattern] of cases) {
    test(`${name} ${args.join(' ')}`, () => {
      const error = refusal(() => command(name).parse(args, {}));
      assert.match(error.message, pattern);
      assert.equal(error.exitCode, EXIT.usage);
      assert.ok(error.hint, 'a hint');
    });
  }

  test('eval: one mode, or both', () => {
    const modes = (args: string[]) => (command('eval').parse(args, {}) as { modes: string[] }).modes;
    assert.deepEqual(modes([]), ['cold', 'seeded']);
    assert.deepEqual(modes(['--cold']), ['cold']);
    assert.deepEqual(modes(['--seeded']), ['seeded']);
    assert.deepEqual(modes(['--cold', '--seeded']), ['cold', 'seeded']);
    assert.deepEqual(modes(['--both', '--cold']), ['cold', 'seeded']);
  });
});
