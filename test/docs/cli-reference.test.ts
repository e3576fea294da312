// docs/cli-reference.md is what bench/cli-reference.ts writes from the commander definitions
// (src/cli/program.ts), regenerated here in memory: a changed command, argument or option fails
// this test until `npm run cli-reference` is run again.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { CLI_REFERENCE, cliReference } from '../../bench/cli-reference.js';
import { program } from '../../src/cli/program.js';

const root = resolve(import.meta.dirname, '..', '..');

describe('docs/cli-reference.md', () => {
  it('is what `npm run cli-reference` writes from src/cli/program.ts (not stale)', () => {
    const committed = readFileSync(join(root, CLI_REFERENCE), 'utf8');
    expect(committed, `${CLI_REFERENCE} is stale: run \`npm run cli-reference\``).toBe(cliReference());
  });

  it('has every command and subcommand, in the order they are defined', () => {
    const names = (cmd: Command, prefix: string): string[] =>
      cmd.commands.flatMap((sub) => [`${prefix}${sub.name()}`, ...names(sub, `${prefix}${sub.name()} `)]);
    const headings = cliReference()
      .split('\n')
      .filter((line) => /^#{2,3} `/.test(line))
      .map((line) => line.replace(/^#+ `shadowcast (.*)`$/, '$1'));
    expect(headings).toEqual(names(program(), ''));
    expect(headings).toEqual(expect.arrayContaining(['forecast', 'risk score', 'apply', 'policy validate']));
  });

  it('shows arguments, choices, defaults and required options, escaped for a table', () => {
    const cli = new Command('tool').description('a tool');
    cli
      .command('go')
      .description('go <somewhere> | anywhere')
      .argument('<place>', 'where to go')
      .argument('[more...]', 'and then')
      .requiredOption('--speed <n>', 'how fast')
      .addOption(new Option('--mode <m>', 'how').choices(['walk', 'run']).default('walk'))
      .option('--quiet', 'say nothing', false)
      .option('--stops <s...>', 'stops on the way, a|b', [] as string[])
      .option('--no-map', 'without the map');
    const page = cliReference(cli);
    expect(page).toContain('- [`tool go`](#tool-go)');
    expect(page.slice(page.indexOf('## `tool go`')).split('\n')).toEqual([
      '## `tool go`',
      '',
      'go \\<somewhere\\> \\| anywhere',
      '',
      '```',
      'tool go [options] <place> [more...]',
      '```',
      '',
      '| argument | description | required |',
      '| --- | --- | --- |',
      '| `<place>` | where to go | yes |',
      '| `[more...]` | and then | no |',
      '',
      '| option | description | default |',
      '| --- | --- | --- |',
      '| `--speed <n>` | how fast | required |',
      '| `--mode <m>` | how (one of `walk`, `run`) | `walk` |',
      '| `--quiet` | say nothing | `false` |',
      '| `--stops <s...>` | stops on the way, a\\|b | `[]` |',
      '| `--no-map` | without the map |  |',
      '',
    ]);
  });
});
