// `npm run mutate` ends here: the StrykerJS JSON report (bench/results/mutation.json) as a table
// per file (mutants, killed, timed out, survived, not reached by any test, score) and the surviving mutants, written into
// docs/mutation.md between markers. MUTATION_SECTION=before writes the "before" table instead
// (kept, so a change's effect on the score stays on record).

import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { provenance, repoRoot, writeBenchmarkSection } from './common.js';

interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  location: { start: { line: number; column: number } };
}

interface Report {
  files: Record<string, { mutants: Mutant[] }>;
}

/** Detected: killed by a test, or made the tests time out. Not counted: a mutant that does not compile. */
const DETECTED = new Set(['Killed', 'Timeout']);
const MISSED = new Set(['Survived', 'NoCoverage']);

export function mutationTables(report: Report, root: string): string {
  const rows: string[] = [];
  const survivors: string[] = [];
  let detectedAll = 0;
  let timedOutAll = 0;
  let missedAll = 0;
  for (const [path, file] of Object.entries(report.files).sort(([a], [b]) => a.localeCompare(b))) {
    const name = relative(root, path) || path;
    const detected = file.mutants.filter((m) => DETECTED.has(m.status)).length;
    const timedOut = file.mutants.filter((m) => m.status === 'Timeout').length;
    const survived = file.mutants.filter((m) => m.status === 'Survived').length;
    const uncovered = file.mutants.filter((m) => m.status === 'NoCoverage').length;
    const missed = survived + uncovered;
    detectedAll += detected;
    timedOutAll += timedOut;
    missedAll += missed;
    const score = detected + missed > 0 ? (100 * detected) / (detected + missed) : 100;
    rows.push(
      `| ${name} | ${file.mutants.length} | ${detected - timedOut} | ${timedOut} | ${survived} | ${uncovered} | ${score.toFixed(1)} % |`,
    );
    for (const m of file.mutants.filter((x) => MISSED.has(x.status))) {
      const what = m.replacement
        ? `: \`${m.replacement.replace(/\s+/g, ' ').replaceAll('|', '\\|').slice(0, 60)}\``
        : '';
      survivors.push(`- ${name}:${m.location.start.line} ${m.mutatorName}${what} (${m.status})`);
    }
  }
  const total = detectedAll + missedAll > 0 ? (100 * detectedAll) / (detectedAll + missedAll) : 100;
  return [
    '| file | mutants | killed | timed out | survived | no test | score |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    `| **all** | | ${detectedAll - timedOutAll} | ${timedOutAll} | | | **${total.toFixed(1)} %** |`,
    '',
    `<details><summary>${survivors.length} mutants not caught</summary>`,
    '',
    ...survivors,
    '',
    '</details>',
  ].join('\n');
}

function main(): void {
  const root = repoRoot();
  const report = JSON.parse(readFileSync(join(root, 'bench', 'results', 'mutation.json'), 'utf8')) as Report;
  const section = process.env.MUTATION_SECTION === 'before' ? 'mutation-before' : 'mutation-after';
  // The before table is kept from the commit it was recorded at (the page says which); the
  // current one says where it came from (MUTATION_COMMIT: the commit of the checkout Stryker ran
  // in, when that was not this one).
  const tables = mutationTables(report, root);
  const markdown =
    section === 'mutation-after'
      ? `${provenance('npm run mutate', process.env.MUTATION_COMMIT)}\n\n${tables}`
      : tables;
  if (!writeBenchmarkSection(section, markdown, join(root, 'docs', 'mutation.md'))) {
    throw new Error(`docs/mutation.md has no <!-- ${section}:start --> marker`);
  }
  process.stdout.write(`${markdown}\n`);
}

if (process.argv[1]?.endsWith('mutation-report.js')) main();
