// Every relative link in the project's markdown (README, CONTRIBUTING, docs/, data notes) leads
// somewhere: the file exists, and an anchor names a heading of the file it points into (GitHub's
// slugs). Links are read with a markdown lexer, so code spans and code blocks are not mistaken for
// links. docs/README.md, the docs' index, links every page of docs/.

import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import GithubSlugger from 'github-slugger';
import { Lexer, type Token, type Tokens } from 'marked';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', '.git', 'results']);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (SKIP.has(name) || name.startsWith('.')) return [];
    if (statSync(path).isDirectory()) return markdownFiles(path);
    return name.endsWith('.md') ? [path] : [];
  });
}

/** Every token of a markdown document, nested ones included. */
function tokensOf(text: string): Token[] {
  const out: Token[] = [];
  const walk = (tokens: readonly Token[]) => {
    for (const t of tokens) {
      out.push(t);
      const nested = t as Token & { tokens?: Token[]; items?: Token[] };
      if (nested.tokens) walk(nested.tokens);
      if (nested.items) walk(nested.items);
      if (t.type === 'table') {
        const table = t as Tokens.Table;
        for (const cell of table.header) walk(cell.tokens);
        for (const row of table.rows) for (const cell of row) walk(cell.tokens);
      }
    }
  };
  walk(new Lexer().lex(text));
  return out;
}

const anchorsCache = new Map<string, Set<string>>();

/** The anchors GitHub gives a markdown file's headings. */
function anchorsOf(file: string): Set<string> {
  let anchors = anchorsCache.get(file);
  if (!anchors) {
    const slugger = new GithubSlugger();
    anchors = new Set(
      tokensOf(readFileSync(file, 'utf8'))
        .filter((t): t is Tokens.Heading => t.type === 'heading')
        .map((h) => slugger.slug(h.text)),
    );
    anchorsCache.set(file, anchors);
  }
  return anchors;
}

/** What is wrong with each relative link of `file`, one line each. */
function deadLinks(file: string): string[] {
  const problems: string[] = [];
  for (const t of tokensOf(readFileSync(file, 'utf8'))) {
    if (t.type !== 'link' && t.type !== 'image') continue;
    const href = (t as Tokens.Link | Tokens.Image).href;
    if (/^[a-z][a-z0-9+.-]*:/i.test(href)) continue; // https:, mailto: and the like
    const [path, anchor] = href.split('#', 2) as [string, string | undefined];
    const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    const name = relative(root, file);
    if (!existsSync(target)) {
      problems.push(`${name}: ${href}: no such file`);
      continue;
    }
    if (anchor && target.endsWith('.md') && !anchorsOf(target).has(anchor)) {
      problems.push(`${name}: ${href}: no heading with that anchor in ${relative(root, target)}`);
    }
  }
  return problems;
}

describe('markdown links', () => {
  const files = markdownFiles(root);

  it('finds the README, CONTRIBUTING and the docs, their index and getting-started pages included', () => {
    expect(files.map((f) => relative(root, f))).toEqual(
      expect.arrayContaining([
        'README.md',
        'CONTRIBUTING.md',
        'docs/README.md',
        'docs/failure-risk.md',
        'docs/getting-started-aws.md',
        'docs/getting-started-kubernetes.md',
        'docs/cli-reference.md',
      ]),
    );
  });

  it('indexes every page of docs/ in docs/README.md', () => {
    const index = join(root, 'docs', 'README.md');
    const linked = new Set(
      tokensOf(readFileSync(index, 'utf8'))
        .filter((t): t is Tokens.Link => t.type === 'link')
        .map((t) => resolve(dirname(index), decodeURIComponent(t.href.split('#')[0]!))),
    );
    const pages = files.filter((f) => dirname(f) === join(root, 'docs') && f !== index);
    expect(pages.filter((f) => !linked.has(f)).map((f) => relative(root, f))).toEqual([]);
  });

  it('has no dead relative link or anchor', () => {
    expect(files.flatMap(deadLinks)).toEqual([]);
  });

  it('catches a dead link and a dead anchor, and not a link in code', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shadowcast-links-'));
    writeFileSync(join(dir, 'other.md'), '# Other\n\n## Known part\n');
    const file = join(dir, 'page.md');
    writeFileSync(
      file,
      [
        '# Page',
        '',
        'See [the other](other.md#known-part), [gone](gone.md), [no anchor](other.md#unknown),',
        '[here](#page), [web](https://example.com/x) and `[in code](nowhere.md)`.',
        '',
        '```',
        '[in a block](nowhere.md)',
        '```',
      ].join('\n'),
    );
    const problems = deadLinks(file);
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/gone\.md: no such file$/);
    expect(problems[1]).toMatch(/other\.md#unknown: no heading with that anchor in /);
  });
});
