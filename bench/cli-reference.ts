// `npm run cli-reference`: writes docs/cli-reference.md from the commander definitions in
// src/cli/program.ts: every command and subcommand in the order they are defined, with its
// description, usage, arguments and options (flags, description, choices, default). Building the
// program parses nothing and runs nothing. test/docs/cli-reference.test.ts fails while the page is
// stale.

import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Argument, Command, Option } from 'commander';
import { program } from '../src/cli/program.js';
import { repoRoot } from './common.js';

/** Where the page goes, from the repository root. */
export const CLI_REFERENCE = join('docs', 'cli-reference.md');

/** A code span; a `|` in it is escaped so that it does not end a table cell. */
function code(s: string): string {
  return `\`${s.replace(/\|/g, '\\|')}\``;
}

/** Markdown for a description: code spans kept, characters that would start markup or end a table cell escaped. */
function text(s: string): string {
  return s
    .split('`')
    .map((part, i) => (i % 2 === 1 ? code(part) : part.replace(/[\\*_[\]<>|]/g, (c) => `\\${c}`)))
    .join('');
}

/** Every command under `root` (itself first), depth first, in definition order. */
function commandsOf(root: Command): Command[] {
  return [root, ...root.commands.flatMap(commandsOf)];
}

/** `shadowcast risk score`: the command's name with its parents'. */
function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** The anchor GitHub gives the heading `` `shadowcast risk score` ``. */
function anchor(cmd: Command): string {
  return fullName(cmd).replace(/ /g, '-');
}

function defaultOf(option: Option): string {
  if (option.mandatory) return 'required';
  const value: unknown = option.defaultValue;
  if (value === undefined) return '';
  // As commander's help shows them: a boolean flag's false, a list's [], a value as given.
  if (option.isBoolean() && typeof value !== 'boolean') return '';
  if (option.defaultValueDescription) return code(option.defaultValueDescription);
  return code(typeof value === 'string' ? value : JSON.stringify(value));
}

function optionRow(option: Option): string {
  const choices = option.argChoices ? ` (one of ${option.argChoices.map(code).join(', ')})` : '';
  return `| ${code(option.flags)} | ${text(option.description)}${choices} | ${defaultOf(option)} |`;
}

function argumentRow(arg: Argument): string {
  const term = arg.required
    ? `<${arg.name()}${arg.variadic ? '...' : ''}>`
    : `[${arg.name()}${arg.variadic ? '...' : ''}]`;
  return `| ${code(term)} | ${text(arg.description)} | ${arg.required ? 'yes' : 'no'} |`;
}

function section(cmd: Command): string[] {
  const depth = fullName(cmd).split(' ').length;
  const lines = [`${'#'.repeat(Math.min(depth, 3))} \`${fullName(cmd)}\``, '', text(cmd.description()), ''];
  if (cmd.commands.length > 0) {
    lines.push('Subcommands:', '');
    for (const sub of cmd.commands)
      lines.push(`- [\`${fullName(sub)}\`](#${anchor(sub)}): ${text(sub.description())}`);
    lines.push('');
    return lines;
  }
  lines.push('```', cmd.createHelp().commandUsage(cmd), '```', '');
  if (cmd.registeredArguments.length > 0) {
    lines.push('| argument | description | required |', '| --- | --- | --- |');
    lines.push(...cmd.registeredArguments.map(argumentRow), '');
  }
  const options = cmd.options.filter((o) => !o.hidden);
  if (options.length > 0) {
    lines.push('| option | description | default |', '| --- | --- | --- |');
    lines.push(...options.map(optionRow), '');
  }
  return lines;
}

/** The page's markdown for `root` (default: shadowcast's own program), before Prettier. */
export function cliReference(root: Command = program()): string {
  const commands = commandsOf(root).slice(1);
  const lines = [
    '# CLI reference',
    '',
    '<!-- Written by bench/cli-reference.ts from src/cli/program.ts: run `npm run cli-reference`, do not edit by hand. -->',
    '',
    `Every command of \`${root.name()}\` with its arguments and options, in the order`,
    '`src/cli/program.ts` defines them. What each command prints, its output formats, examples and',
    'exit codes are in the [command-line reference](cli.md). Every command also takes `-h, --help`.',
    '',
    ...commands.map(
      (c) => `${'  '.repeat(fullName(c).split(' ').length - 2)}- [\`${fullName(c)}\`](#${anchor(c)})`,
    ),
    '',
    ...commands.flatMap(section),
  ];
  return `${lines.join('\n').trimEnd()}\n`;
}

// Run as a script (not imported by the test): write the page.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = join(repoRoot(), CLI_REFERENCE);
  writeFileSync(out, cliReference());
  process.stderr.write(`wrote ${out}\n`);
}
